import type { AnyTaskDefinition } from '../../shared/tasks';

/** One model call. Providers get the task so they can ask for its output schema. */
export interface ModelRequest {
  task: AnyTaskDefinition;
  /** Validated task input. */
  input: unknown;
  model: string;
  system: string;
  prompt: string;
  /** Aborted when the activity is cancelled or times out. */
  signal: AbortSignal;
}

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ModelResponse {
  /** A parsed object when the provider returns structured output; validated later anyway. */
  output: unknown;
  /** The model that actually answered (may differ from the requested alias). */
  model: string;
  usage: ModelUsage;
  finishReason: 'stop' | 'length' | 'content-filter' | 'other';
  /** The vendor's request id, for support tickets. */
  requestId?: string;
}

/** The one interface every provider implements. */
export interface ModelProvider {
  readonly slug: string;
  generate(request: ModelRequest): Promise<ModelResponse>;
}
