import type { AnyTaskDefinition } from './task-definition';
import { answer } from './answer';
import { chat } from './chat';
import { classifyTicket } from './classify-ticket';
import { extractInvoice } from './extract-invoice';
import { suggestDiscount } from './suggest-discount';
import { summarize } from './summarize';

export * from './task-definition';

/** The tasks served at `/v1/tasks/{task}`. Adding one = adding its definition here. */
export const TASKS: Readonly<Record<string, AnyTaskDefinition>> = Object.freeze(
  Object.fromEntries(
    (
      [
        summarize,
        classifyTicket,
        extractInvoice,
        answer,
        suggestDiscount,
      ] as unknown as AnyTaskDefinition[]
    ).map((t) => [t.name, t]),
  ),
);

/** `chat` runs through the same pipeline, served at `/v1/chat/completions` (server/chat/). */
const CHAT = chat as unknown as AnyTaskDefinition;

/** A task the pipeline runs: one of TASKS, or `chat`. */
export function findTask(name: string): AnyTaskDefinition | undefined {
  if (name === CHAT.name) return CHAT;
  return findServedTask(name);
}

/** A task `/v1/tasks/{task}` and batches serve (not `chat`, which has its own endpoint). */
export function findServedTask(name: string): AnyTaskDefinition | undefined {
  return Object.prototype.hasOwnProperty.call(TASKS, name) ? TASKS[name] : undefined;
}
