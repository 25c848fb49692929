import type { z } from 'zod';
import type { PolicyPatch } from '../policy/resolve-policy';
import type { Downgrade, ValidationAction } from '../contracts/actions';
import type { ChatMessage, ResponseFormat, ToolCall, ToolsRequest } from '../contracts/chat';
import type { ParsedModelJson } from '../guards/parse-model-json';

/**
 * How long a task may take. The server waits up to `maxSyncMs` for a synchronous answer, then
 * answers 202 and the work goes on; the workflow gives up at `hardTimeoutMs`.
 */
export interface LatencyEnvelope {
  /** What a healthy call usually takes; used to size the per-call timeout. */
  readonly fastMs: number;
  /** Longest a synchronous caller waits before getting 202 + the job. */
  readonly maxSyncMs: number;
  /** The task fails (or degrades) after this, whatever happens upstream. */
  readonly hardTimeoutMs: number;
}

/**
 * Bounds of one model call's timeout: a healthy call takes `fastMs`; allow up to five times
 * that, never past the hard timeout. The adaptive timeout moves between them.
 */
export function callTimeoutBoundsMs(envelope: LatencyEnvelope): { minMs: number; maxMs: number } {
  return { minMs: envelope.fastMs, maxMs: Math.min(envelope.fastMs * 5, envelope.hardTimeoutMs) };
}

/** A versioned prompt. The version (`summarize@1`) is recorded in every result's meta. */
export interface PromptTemplate<I> {
  readonly version: string;
  readonly system: string;
  render(input: I): string;
}

/** The vocabulary lives with the contracts (results and policies name it too). */
export { VALIDATION_ACTIONS, type Downgrade, type ValidationAction } from '../contracts/actions';

/** A rule or grounding failure, with the output field it concerns (`lineItems.1.amount`). */
export interface Violation {
  field: string;
  message: string;
  /** The rule's id (`amount-is-qty-times-price`), or `grounding`. */
  rule: string;
}

/** Per-tenant limits a task's rules read. Resolved by the worker from the tenant's policy. */
export interface RuleContext {
  /** Highest discount the tenant allows, in percent. */
  maxDiscountPercent: number;
  /** Confidence below which a classification is not trusted. */
  minConfidence: number;
}

/** A business rule: a pure function from (output, input, tenant limits) to violations. */
export interface BusinessRule<I, O> {
  /** Stable, kebab-case: reported in violations and meta. */
  readonly id: string;
  readonly description: string;
  check(output: O, input: I, ctx: RuleContext): Violation[];
  /** What a violation leads to. `clamp` needs `repair`. */
  readonly action: ValidationAction;
  /** The safe repair for `clamp`: an output that satisfies this rule. */
  repair?(output: O, input: I, ctx: RuleContext): O;
}

/** `provider:model`, e.g. `local:keel-local-1` or `openai:gpt-4o-mini`. */
export type ModelRef = `${string}:${string}`;

/**
 * A task is data plus small pure functions. Everything here must stay workflow-safe: no I/O, no
 * clocks, no randomness.
 */
export interface TaskDefinition<
  IS extends z.ZodType = z.ZodType,
  OS extends z.ZodType = z.ZodType,
> {
  /** URL segment: `POST /v1/tasks/{name}`. kebab-case. */
  readonly name: string;
  /** One line for the API docs. */
  readonly description: string;
  readonly input: IS;
  readonly output: OS;
  readonly prompt: PromptTemplate<z.output<IS>>;
  readonly envelope: LatencyEnvelope;
  /**
   * Ordered model candidates. Candidates whose provider is not configured (no API key) are
   * skipped, so with no key at all every task runs on `local`.
   */
  readonly route: readonly ModelRef[];
  /**
   * The most output tokens one call for this task may return: sent as the vendor's `max_tokens`
   * (the lower of this and the model's own limit). It bounds what a call can cost, so it is also
   * the output side of the worst case a tenant's budget reserves per call. @default the model's
   */
  readonly maxOutputTokens?: number;
  /** Deterministic answer used by the `local` provider (and later as the degraded fallback). */
  readonly fallback: (input: z.output<IS>) => z.output<OS>;
  /**
   * Downgrades, in order, when every candidate fails: the last good answer to the same request,
   * then the deterministic fallback. @default ['last-good', 'fallback']
   */
  readonly degrade?: ReadonlyArray<Downgrade>;
  /** Business rules beyond the schema, checked in order after it. */
  readonly rules?: ReadonlyArray<BusinessRule<z.output<IS>, z.output<OS>>>;
  /**
   * Grounding: claims in the output that the input does not support (a quote not in the cited
   * document, a number absent from the source). Empty when grounded.
   */
  readonly grounding?: (output: z.output<OS>, input: z.output<IS>) => Violation[];
  /** Actions for the schema, grounding and moderation layers. @default 're-ask' each */
  readonly onFailure?: Partial<Record<'schema' | 'grounding' | 'moderation', ValidationAction>>;
  /** The task's own policy defaults (moderation, limits); tenants override them in config. */
  readonly policy?: PolicyPatch;
  /** An input shown in the API docs and used by smoke tests. */
  readonly example: z.input<IS>;
  /**
   * A task whose input is itself a conversation (`chat`, behind `/v1/chat/completions`) says how
   * it is sent; the others are rendered from `prompt` and answer with `output` as JSON. All four
   * are optional and together: the defaults are what every structured task does.
   */
  readonly conversation?: ConversationHooks<z.output<IS>, z.output<OS>>;
}

/** How a conversational task talks to the model (see `TaskDefinition.conversation`). */
export interface ConversationHooks<I, O> {
  /** The messages sent, instead of the prompt's system and user turns. */
  messages(input: I): ChatMessage[];
  /** How the answer comes back, instead of the output schema as JSON. */
  responseFormat(input: I): ResponseFormat;
  /**
   * A text answer, and the tool calls that came with it, as an output (what `parseModelJson` is
   * for the others). Never throws.
   */
  parseText(text: string, input: I, toolCalls?: readonly ToolCall[]): ParsedModelJson;
  /** The output as the text a stream carries (the inverse of `parseText`). */
  textOf(output: O): string;
  /** The output's tool calls, as a model would have sent them (the local model's answer). */
  toolCallsOf?(output: O): ToolCall[] | undefined;
  /** The caller's tools, when the request offers the model any. */
  tools?(input: I): ToolsRequest | undefined;
  /** Sampling the caller chose, when the task lets them. */
  sampling?(input: I): { temperature?: number; maxOutputTokens?: number };
}

export type AnyTaskDefinition = TaskDefinition<z.ZodType, z.ZodType>;

/** Identity helper that keeps the input/output types linked. */
export function defineTask<IS extends z.ZodType, OS extends z.ZodType>(
  definition: TaskDefinition<IS, OS>,
): TaskDefinition<IS, OS> {
  return definition;
}

/**
 * The task input as the model sees it: JSON inside `<input>` tags. Data stays clearly apart from
 * instructions, and a tool (Keel's mock upstream, an eval harness) can recover the exact input.
 */
export function renderInput(input: unknown): string {
  return `<input>${JSON.stringify(input)}</input>`;
}

/**
 * The inverse of `renderInput`. Anchored on `<input>{` (first) and `}</input>` (last), so
 * instructions that mention <input> and input text that contains the tags do not confuse it.
 */
export function parseRenderedInput(prompt: string): unknown {
  const start = prompt.indexOf('<input>{');
  const end = prompt.lastIndexOf('}</input>');
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(prompt.slice(start + '<input>'.length, end + 1)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The most output one call of this task on a model may return: the model's limit, lowered by the
 * task's cap. What `callModel` sends as `max_tokens`, and so the output side of every worst case
 * (budget reservations, token limits, lowest-cost routing).
 */
export function callOutputCap(
  task: Pick<TaskDefinition, 'maxOutputTokens'>,
  modelMaxOutputTokens: number,
): number {
  return Math.min(modelMaxOutputTokens, task.maxOutputTokens ?? Number.POSITIVE_INFINITY);
}
