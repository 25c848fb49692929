import type { AnyTaskDefinition } from '../../shared/tasks';
import type { ModelEntry, ProviderType } from '../../shared/runtime/model-registry';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One model call. Providers get the task so they can ask for its output schema. */
export interface ModelRequest {
  task: AnyTaskDefinition;
  /** Validated task input. */
  input: unknown;
  /** The registry entry: vendor id, capabilities, prices. */
  model: ModelEntry;
  /** The conversation: a system message, then user (and, for a re-ask, assistant) turns. */
  messages: ChatMessage[];
  maxOutputTokens: number;
  /** The call's own deadline (the activity's remaining time). */
  timeoutMs: number;
  /** Aborted when the activity is cancelled or times out. */
  signal: AbortSignal;
}

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the vendor's prompt cache (billed at the cached price). */
  cachedInputTokens: number;
}

export interface ModelResponse {
  /** A parsed object when the provider returned structured output (tool input, local answer). */
  output?: unknown;
  /** Raw text when it did not; Keel parses and validates it. */
  text?: string;
  /** The model that actually answered (may differ from the requested alias). */
  model: string;
  usage: ModelUsage;
  finishReason: 'stop' | 'length' | 'content-filter' | 'tool' | 'other';
  /** The vendor's request id, for support tickets. */
  requestId?: string;
}

/** The one interface every provider implements. */
export interface ModelProvider {
  /** Route prefix, e.g. `openai` in `openai:gpt-4o-mini`. */
  readonly slug: string;
  /** What it is; `local` (the built-in, in-process) is the only one that never leaves the process. */
  readonly type: ProviderType;
  generate(request: ModelRequest): Promise<ModelResponse>;
}

/** `classify-ticket` → `classify_ticket`: vendors want [A-Za-z0-9_] in schema and tool names. */
export const schemaName = (task: AnyTaskDefinition): string =>
  task.name.replace(/[^A-Za-z0-9_]/g, '_');
