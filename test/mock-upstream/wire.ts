/**
 * What the two vendor dialects have in common. The scenario engine (respond.ts) speaks only this
 * interface, so every fault behaves the same way over OpenAI and Anthropic; the per-vendor files
 * only decide how bytes look on the wire.
 */
import { randomBytes } from 'node:crypto';
import type { ToolsAsked } from './tools';

export type Api = 'openai' | 'anthropic';

/** The parts of a vendor request the mock needs, normalised across dialects. */
export interface ParsedRequest {
  api: Api;
  model: string;
  stream: boolean;
  /** Exactly what arrived, so a test can prove what left Keel. */
  messages: unknown[];
  system?: unknown;
  /** Text of the last user message: where Keel renders `<input>{…}</input>`. */
  lastUserText: string;
  /** A turn follows the one with the input: Keel is re-asking after a failed validation. */
  reask: boolean;
  /** Structured-output name (OpenAI json_schema name / Anthropic forced tool), if any. */
  schemaName?: string;
  /** The caller's tools (not Anthropic's forced structured-output tool), if any. */
  tools?: ToolsAsked;
  /** OpenAI only: stream_options.include_usage. */
  includeUsage: boolean;
  /** Approximate prompt tokens, computed once so usage and the attempt log agree. */
  inputTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/** One call of a request's tool; `arguments` is JSON text (possibly broken on purpose). */
export interface ToolCallReply {
  id: string;
  name: string;
  arguments: string;
}

/** The model's answer before it is dressed in a vendor's wire format. */
export interface Reply {
  /** Text as the model "wrote" it (JSON text for structured answers). */
  text: string;
  /** Present only when `text` is exactly this object as JSON: Anthropic sends it as tool_use. */
  json?: Record<string, unknown>;
  finish: FinishReason;
  /** Calls of the request's tools (tools.ts); `text` is then usually empty. */
  toolCalls?: ToolCallReply[];
  /** Refusal message for content_filter replies. */
  refusal?: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** Vendor-neutral error categories; each wire maps them to its own status, type and code. */
export type ErrorKind =
  | 'rate-limit'
  | 'server'
  | 'unavailable'
  | 'overloaded'
  | 'context'
  | 'auth'
  | 'model-not-found'
  | 'invalid-body';

export interface WireError {
  status: number;
  body: unknown;
}

/** A rendered SSE stream: the frames in order, with the terminator kept apart for `no-done`. */
export interface SseStream {
  frames: string[];
  /** `data: [DONE]` (OpenAI) or the `message_stop` event (Anthropic). */
  done: string;
  /** A frame that looks like the others but whose JSON is broken (for `malformed-chunk`). */
  malformed: string;
}

export interface Wire {
  readonly api: Api;
  /** A normalised request, or a message explaining why the body is not a valid request. */
  parse(body: unknown): ParsedRequest | string;
  error(kind: ErrorKind, detail: { model: string; requestId: string }): WireError;
  /** Headers every response carries (ids, rate-limit counters). */
  headers(requestId: string, processingMs: number, limited: boolean): Record<string, string>;
  completion(req: ParsedRequest, reply: Reply, usage: Usage): unknown;
  stream(req: ParsedRequest, reply: Reply, usage: Usage): SseStream;
}

/** Rough tokenizer: real vendors are within a factor of ~1.3 of chars/4 for English. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Vendor-style random id, e.g. `chatcmpl-3f…`, `msg_01…`, `req_…`. */
export function makeId(prefix: string, bytes = 12): string {
  return prefix + randomBytes(bytes).toString('hex');
}

/** Text of a message `content` field: a string, or an array of `{type:'text', text}` parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) =>
      isRecord(part) && typeof part['text'] === 'string' ? part['text'] : '',
    )
    .join('\n');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keel's correction turn: the request is a re-ask (wherever the task's input is). */
export const isReaskTurn = (text: string): boolean =>
  text.startsWith('Your previous answer was rejected by validation');

/** Splits text into stream-sized pieces; never returns an empty list for non-empty text. */
export function chunkText(text: string, size = 16): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}
