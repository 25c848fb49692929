import type {
  ChatMessage,
  ResponseFormat,
  ToolCall,
  ToolsRequest,
} from '../../../shared/contracts/chat';
import type { ModelEntry, ProviderType } from '../../../shared/platform/model-registry';

/**
 * The one model interface, in the shape of the Vercel AI SDK's language model: a request is
 * messages plus how the answer should come back; it knows nothing about Keel's tasks. Rendering a
 * task into a request is the pipeline's job (activities/models/render-request.ts).
 */

export type {
  ChatMessage,
  JsonSchema,
  ResponseFormat,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  ToolsRequest,
} from '../../../shared/contracts/chat';

/** One model call. */
export interface ModelRequest {
  /** The registry entry: vendor id, capabilities, prices. */
  model: ModelEntry;
  /** The conversation: a system message, then user (and, for a re-ask, assistant) turns. */
  messages: ChatMessage[];
  responseFormat: ResponseFormat;
  /** The caller's tools (the chat endpoint); absent, the model is offered none. */
  tools?: ToolsRequest;
  maxOutputTokens: number;
  /** Sampling temperature, when the caller set one (the chat endpoint); else the vendor's default. */
  temperature?: number;
  /** ms left until the attempt's total deadline: connect, first byte and the whole body. */
  timeoutMs: number;
  /** Aborted when the activity is cancelled or its deadline passes; ends a body half-read too. */
  signal: AbortSignal;
  /**
   * What one provider needs beyond the messages, keyed by provider type (the AI SDK's
   * `providerOptions`); every other provider ignores it. `local` reads its `LocalProviderOptions`.
   */
  providerOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the vendor's prompt cache (billed at the cached price). */
  cachedInputTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool' | 'other';

export interface ModelResponse {
  /** A parsed object when the provider returned structured output (tool input, local answer). */
  output?: unknown;
  /** Raw text when it did not; Keel parses and validates it. */
  text?: string;
  /** Calls of the request's tools, arguments as the model wrote them (Keel checks them). */
  toolCalls?: ToolCall[];
  /** The model that actually answered (may differ from the requested alias). */
  model: string;
  usage: ModelUsage;
  finishReason: FinishReason;
  /** The vendor's request id, for support tickets. */
  requestId?: string;
}

/**
 * What a stream yields: text as it arrives (for a JSON response format, the JSON text), each tool
 * call once it is whole (vendors stream its arguments in pieces; Keel checks them whole before a
 * caller sees them), then one `finish`. A stream that cannot finish (transport cut, abort, content filter) throws from the
 * iteration instead, with the same errors `generate` throws.
 */
export type ModelStreamPart =
  | { type: 'text-delta'; delta: string }
  | ({ type: 'tool-call' } & ToolCall)
  | {
      type: 'finish';
      finishReason: FinishReason;
      usage: ModelUsage;
      model: string;
      requestId?: string;
    };

/** The one interface every provider implements. */
export interface ModelProvider {
  /** Route prefix, e.g. `openai` in `openai:gpt-4o-mini`. */
  readonly slug: string;
  /** What it is; `local` (the built-in, in-process) is the only one that never leaves the process. */
  readonly type: ProviderType;
  generate(request: ModelRequest): Promise<ModelResponse>;
  /** The same call, streamed. May throw `StreamNotSupportedError` on first iteration. */
  stream(request: ModelRequest): AsyncIterable<ModelStreamPart>;
}

/** A provider that cannot stream. Recognise it by `name`, not `instanceof`. */
export class StreamNotSupportedError extends Error {
  override readonly name = 'StreamNotSupportedError';
  constructor(readonly provider: string) {
    super(`provider "${provider}" does not stream`);
  }
}

/** The `stream` of a provider that cannot stream: its first iteration throws. */
export function streamNotSupported(provider: string): AsyncIterable<ModelStreamPart> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(new StreamNotSupportedError(provider)),
    }),
  };
}
