import type { AnyTaskDefinition } from './task-definition';
import { answer } from './answer';
import { classifyTicket } from './classify-ticket';
import { extractInvoice } from './extract-invoice';
import { suggestDiscount } from './suggest-discount';
import { summarize } from './summarize';

export * from './task-definition';

/** Every task Keel serves. Adding a task = adding its definition here; nothing else changes. */
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

export function findTask(name: string): AnyTaskDefinition | undefined {
  return Object.prototype.hasOwnProperty.call(TASKS, name) ? TASKS[name] : undefined;
}
