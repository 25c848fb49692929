import { z } from 'zod';
import { parseModelJson } from '../../shared/guards/parse-model-json';
import { REASK_POLICY, type FailureKind } from '../../shared/policy/reask';
import type { AnyTaskDefinition } from '../../shared/tasks';
import { renderTemplate } from '../../shared/tasks/prompt-template';
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
 * Longest offending value quoted back in a re-ask, in characters of JSON: an enum value, a number,
 * a date. A longer text is named, not quoted: its problem already says what is wrong in it, and
 * quoting it cost ~50 tokens per re-ask in bench/reask.ts for nothing the mock model needed.
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

/** ` (you answered "SHIPPING")`; empty when the field has no value or a long one. */
function quoted(answer: unknown, problem: string): string {
  const colon = problem.indexOf(': ');
  const value = colon > 0 ? valueAt(answer, problem.slice(0, colon)) : undefined;
  const json = value === undefined ? undefined : JSON.stringify(value);
  return json !== undefined && json.length <= REASK_MAX_VALUE_CHARS
    ? ` (you answered ${json})`
    : '';
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
  // A chat answer's tool calls (`toolCalls.0.arguments.city: …`) are corrected by calling again.
  const calls = reask.problems.some((p) => p.startsWith('toolCalls'));
  return (
    'Your previous answer was rejected by validation:\n' +
    reask.problems.map((p) => `- ${p}${answer ? quoted(answer.value, p) : ''}`).join('\n') +
    (calls
      ? '\nCall the tools again with corrected arguments.'
      : '\nAnswer again with only the corrected JSON.')
  );
}

/** `classify-ticket` → `classify_ticket`: vendors want [A-Za-z0-9_] in schema and tool names. */
export const schemaName = (task: AnyTaskDefinition): string =>
  task.name.replace(/[^A-Za-z0-9_]/g, '_');

/** A registry prompt version's text (docs/prompt-registry.md), instead of the task's own. */
export interface PromptText {
  system: string;
  userTemplate: string;
}

/** The conversation: system, the task's prompt, and for a re-ask a correction turn. */
export function buildMessages(
  task: AnyTaskDefinition,
  input: unknown,
  reask?: Reask,
  prompt?: PromptText,
): ChatMessage[] {
  const messages: ChatMessage[] =
    task.conversation?.messages(input) ??
    (prompt
      ? [
          { role: 'system', content: prompt.system },
          { role: 'user', content: renderTemplate(prompt.userTemplate, input) },
        ]
      : [
          { role: 'system', content: task.prompt.system },
          { role: 'user', content: task.prompt.render(input) },
        ]);
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
  /** The registry version the job runs with; absent: the task's built-in prompt. */
  prompt?: PromptText;
}): Pick<ModelRequest, 'messages' | 'responseFormat' | 'providerOptions' | 'tools'> {
  const local: LocalProviderOptions = { task: args.task.name, input: args.input };
  const tools = args.task.conversation?.tools?.(args.input);
  return {
    ...(tools ? { tools } : {}),
    messages: buildMessages(args.task, args.input, args.reask, args.prompt),
    responseFormat:
      args.task.conversation?.responseFormat(args.input) ?? taskResponseFormat(args.task),
    // The in-process model answers with the task's deterministic algorithm, not from the prompt.
    providerOptions: { local: { ...local } },
  };
}
