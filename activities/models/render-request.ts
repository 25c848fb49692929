import { z } from 'zod';
import { parseModelJson } from '../../shared/guards/parse-model-json';
import { REASK_POLICY, type FailureKind } from '../../shared/policy/reask';
import type { AnyTaskDefinition } from '../../shared/tasks';
import type { LocalProviderOptions } from './providers/local-provider';
import type { ChatMessage, ModelRequest, ResponseFormat } from './providers/model-provider';

/** A second chance: the model's previous answer and why it was rejected. */
export interface Reask {
  previous: string;
  /** `field: message`, one per problem (`output.category: Invalid option…`). */
  problems: string[];
  /** Validation's `failed.kind`; when absent, an unreadable `previous` counts as `parse`. */
  failure?: FailureKind;
}

/**
 * Longest offending value quoted back in a re-ask, in characters of JSON: an enum value, a number
 * or a date fits whole; of a long text only its start, which points at it (the problem names what
 * is wrong). 200 characters cost ~30 tokens more per re-ask in bench/reask.ts for nothing.
 */
const REASK_MAX_VALUE_CHARS = 80;

/** The value at a problem's field (`output.lineItems.1.amount`, or `rationale`), if any. */
function valueAt(answer: unknown, field: string): unknown {
  let value = answer;
  for (const key of field
    .replace(/^output(\.|$)/, '')
    .split('.')
    .filter(Boolean)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value === answer ? undefined : value;
}

/** ` (you answered "SHIPPING")`, cut to REASK_MAX_VALUE_CHARS; empty when there is none. */
function quoted(answer: unknown, problem: string): string {
  const colon = problem.indexOf(': ');
  const value = colon > 0 ? valueAt(answer, problem.slice(0, colon)) : undefined;
  if (value === undefined) return '';
  const json = JSON.stringify(value);
  const cut =
    json.length > REASK_MAX_VALUE_CHARS ? `${json.slice(0, REASK_MAX_VALUE_CHARS)}…` : json;
  return ` (you answered ${cut})`;
}

/**
 * The correction turn of a re-ask: the problems named and, where the table says so, only the
 * offending values of the rejected answer, never the whole of it. The task's own turns stay
 * byte-identical, so a vendor's prompt cache still applies to them.
 */
export function reaskTurn(reask: Reask): string {
  const parsed = parseModelJson(reask.previous);
  const kind = reask.failure ?? (parsed.ok ? undefined : 'parse');
  const echo = kind === undefined || REASK_POLICY[kind].echo === 'fields';
  const answer = parsed.ok && echo ? parsed : undefined;
  return (
    'Your previous answer was rejected by validation:\n' +
    reask.problems.map((p) => `- ${p}${answer ? quoted(answer.value, p) : ''}`).join('\n') +
    '\nAnswer again with only the corrected JSON.'
  );
}

/** `classify-ticket` → `classify_ticket`: vendors want [A-Za-z0-9_] in schema and tool names. */
export const schemaName = (task: AnyTaskDefinition): string =>
  task.name.replace(/[^A-Za-z0-9_]/g, '_');

/** The conversation: system, the task's prompt, and for a re-ask a correction turn. */
export function buildMessages(
  task: AnyTaskDefinition,
  input: unknown,
  reask?: Reask,
): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: task.prompt.system },
    { role: 'user', content: task.prompt.render(input) },
  ];
  return reask ? [...messages, { role: 'user', content: reaskTurn(reask) }] : messages;
}

/**
 * The task's output as a JSON response format: its zod output schema as draft-07 JSON Schema (the
 * same document the OpenAI SDK's `zodResponseFormat` sends), named after the task.
 */
export function taskResponseFormat(task: AnyTaskDefinition): ResponseFormat {
  return {
    type: 'json',
    schema: z.toJSONSchema(task.output, { target: 'draft-7' }),
    name: schemaName(task),
    description: task.description,
  };
}

/** Everything of a request that comes from the task; the caller adds model, limits and signal. */
export function renderTaskRequest(args: {
  task: AnyTaskDefinition;
  /** The validated task input. */
  input: unknown;
  reask?: Reask;
}): Pick<ModelRequest, 'messages' | 'responseFormat' | 'providerOptions'> {
  const local: LocalProviderOptions = { task: args.task.name, input: args.input };
  return {
    messages: buildMessages(args.task, args.input, args.reask),
    responseFormat: taskResponseFormat(args.task),
    // The in-process model answers with the task's deterministic algorithm, not from the prompt.
    providerOptions: { local: { ...local } },
  };
}
