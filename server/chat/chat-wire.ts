import type { ResultMeta, RunTaskResult } from '../../shared/contracts/job';
import type { ChatOutput } from '../../shared/tasks/chat';
import { parseChatBody } from './chat-body';
import type { ChatDialect, ChatFinish } from './chat-dialect';
import { openAIErrorBody } from './openai-errors';

/**
 * Keel's answers in OpenAI's Chat Completions wire format: the completion, the chunks of a
 * stream, and its usage. Each carries the job id (`id` is `chatcmpl-<job id>`; the `keel` member
 * has the job's meta), so every answer can be found in the Web UI and the usage report.
 */
type FinishReason = ChatFinish;

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export const completionId = (jobId: string): string => `chatcmpl-${jobId}`;

export function usageOf(meta: ResultMeta | undefined): WireUsage {
  const input = meta?.tokens.input ?? 0;
  const output = meta?.tokens.output ?? 0;
  return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
}

/** The model that answered, as `provider:model` (what `model` may name next time). */
export const answeredBy = (meta: ResultMeta | undefined, asked: string): string =>
  meta ? `${meta.provider}:${meta.model}` : asked;

export function completionBody(args: {
  jobId: string;
  model: string;
  created: number;
  result?: RunTaskResult;
  finish: FinishReason;
}) {
  const { result } = args;
  const output = result?.output as ChatOutput | undefined;
  const content = output?.content ?? '';
  const toolCalls = args.finish === 'content_filter' ? undefined : output?.toolCalls;
  return {
    id: completionId(args.jobId),
    object: 'chat.completion' as const,
    created: args.created,
    model: answeredBy(result?.meta, args.model),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          // With tool calls and no text, OpenAI answers `content: null`.
          content: args.finish === 'content_filter' || (toolCalls && !content) ? null : content,
          refusal: null,
          ...(toolCalls ? { tool_calls: toolCalls.map(wireToolCall) } : {}),
        },
        finish_reason: args.finish,
        logprobs: null,
      },
    ],
    usage: usageOf(result?.meta),
    system_fingerprint: null,
    keel: { jobId: args.jobId, ...(result ? { meta: result.meta } : {}) },
  };
}

type AnswerCall = NonNullable<ChatOutput['toolCalls']>[number];

/** A call in OpenAI's shape: its arguments as JSON text. */
const wireToolCall = (c: AnswerCall) => ({
  id: c.id,
  type: 'function' as const,
  function: { name: c.name, arguments: JSON.stringify(c.arguments) },
});

interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

/** One `chat.completion.chunk`, as an SSE `data:` line. */
export function chunkFrame(args: {
  jobId: string;
  model: string;
  created: number;
  delta?: { role?: 'assistant'; content?: string; tool_calls?: ToolCallDelta[] };
  finish?: FinishReason;
  usage?: WireUsage;
  keel?: Record<string, unknown>;
}): string {
  const body = {
    id: completionId(args.jobId),
    object: 'chat.completion.chunk',
    created: args.created,
    model: args.model,
    system_fingerprint: null,
    choices: args.usage
      ? []
      : [{ index: 0, delta: args.delta ?? {}, logprobs: null, finish_reason: args.finish ?? null }],
    ...(args.usage ? { usage: args.usage } : {}),
    ...(args.keel ? { keel: args.keel } : {}),
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

export const DONE_FRAME = 'data: [DONE]\n\n';

/** `POST /v1/chat/completions`: OpenAI's body, completion, chunks and `[DONE]`. */
export const openAIDialect: ChatDialect = {
  parse: parseChatBody,
  body: completionBody,
  stream: ({ jobId, created, includeUsage }) => ({
    start: (model) =>
      chunkFrame({ jobId, model, created, delta: { role: 'assistant', content: '' } }),
    text: (model, delta) => chunkFrame({ jobId, model, created, delta: { content: delta } }),
    // As OpenAI streams a call: its id and name first, then its arguments.
    toolCalls: (model, calls) =>
      calls
        .map((c, index) => {
          const call = wireToolCall(c);
          const frame = (delta: ToolCallDelta) =>
            chunkFrame({ jobId, model, created, delta: { tool_calls: [delta] } });
          return (
            frame({
              index,
              id: c.id,
              type: 'function',
              function: { name: c.name, arguments: '' },
            }) + frame({ index, function: { arguments: call.function.arguments } })
          );
        })
        .join(''),
    finish: (model, finish, result) =>
      chunkFrame({
        jobId,
        model,
        created,
        finish,
        keel: { jobId, ...(result ? { meta: result.meta } : {}) },
      }) +
      (includeUsage ? chunkFrame({ jobId, model, created, usage: usageOf(result?.meta) }) : '') +
      DONE_FRAME,
    // OpenAI's clients raise a `data:` event carrying `error`; no `[DONE]` follows.
    error: (problem) => `data: ${JSON.stringify(openAIErrorBody(problem))}\n\n`,
  }),
};
