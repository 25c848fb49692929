import type { RunTaskResult } from '../../shared/contracts/job';
import type { Problem } from '../../shared/contracts/problems';
import type { ChatOutput } from '../../shared/tasks/chat';
import type { ChatCall } from './chat-body';

/**
 * A vendor's wire format for the chat task: OpenAI's Chat Completions (chat-wire.ts) or
 * Anthropic's Messages (messages-wire.ts). The job, its stream relay and every protection are
 * the same (chat.service.ts); a dialect only reads the body and writes the answers.
 */

/** How an answer ended, in Keel's words; each dialect names it its own way. */
export type ChatFinish = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/** How an answer that completed ended: with calls of the caller's tools, or its text. */
export const finishOf = (output: ChatOutput): ChatFinish =>
  output.toolCalls?.length ? 'tool_calls' : 'stop';

export interface ChatDialect {
  /** The body as the chat task's input; a 400 naming each offending field otherwise. */
  parse(body: unknown): ChatCall;
  /** The whole answer (`stream` false). `result` is absent when moderation refused it. */
  body(args: {
    jobId: string;
    model: string;
    created: number;
    result?: RunTaskResult;
    finish: ChatFinish;
  }): unknown;
  /** The frames of one stream, in order: `start`, any `text`, then `finish` or `error`. */
  stream(args: { jobId: string; created: number; includeUsage: boolean }): StreamWire;
}

/**
 * SSE frames (`event:`/`data:` blocks ending in a blank line) of one stream: `start`, any `text`,
 * the validated answer's tool calls if any, then `finish` or `error`.
 */
export interface StreamWire {
  start(model: string): string;
  text(model: string, delta: string): string;
  /** The answer's tool calls, whole: sent only once validation passed. */
  toolCalls(model: string, calls: NonNullable<ChatOutput['toolCalls']>): string;
  finish(model: string, finish: ChatFinish, result?: RunTaskResult): string;
  /** Ends a stream that failed after its first byte: an event the vendor's clients raise. */
  error(problem: Problem): string;
}
