import type { RunTaskResult } from '../../shared/contracts/job';
import type { ChatOutput } from '../../shared/tasks/chat';
import { anthropicErrorBody } from './anthropic-errors';
import type { ChatDialect, ChatFinish, StreamWire } from './chat-dialect';
import { answeredBy } from './chat-wire';
import { parseMessagesBody } from './messages-body';

/**
 * Keel's answers in Anthropic's Messages wire format: the message, and a stream's events
 * (`message_start`, one text block, `message_delta` with the stop reason and usage,
 * `message_stop`). `id` is `msg_<job id>`; the `keel` member carries the job's meta.
 */
const STOP_REASON: Record<ChatFinish, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'refusal',
  tool_calls: 'tool_use',
};

export const messageId = (jobId: string): string => `msg_${jobId}`;

function usageOf(result: RunTaskResult | undefined) {
  return {
    input_tokens: result?.meta.tokens.input ?? 0,
    output_tokens: result?.meta.tokens.output ?? 0,
  };
}

const keelOf = (jobId: string, result?: RunTaskResult) => ({
  jobId,
  ...(result ? { meta: result.meta } : {}),
});

export function messageBody(args: {
  jobId: string;
  model: string;
  result?: RunTaskResult;
  finish: ChatFinish;
}) {
  const { result } = args;
  const output =
    result && args.finish !== 'content_filter' ? (result.output as ChatOutput) : undefined;
  const text = output?.content ?? '';
  return {
    id: messageId(args.jobId),
    type: 'message' as const,
    role: 'assistant' as const,
    model: answeredBy(result?.meta, args.model),
    content: [
      ...(text ? [{ type: 'text' as const, text }] : []),
      ...(output?.toolCalls ?? []).map(toolUseOf),
    ],
    stop_reason: STOP_REASON[args.finish],
    stop_sequence: null,
    usage: usageOf(result),
    keel: keelOf(args.jobId, result),
  };
}

type AnswerCall = NonNullable<ChatOutput['toolCalls']>[number];

const toolUseOf = (c: AnswerCall) => ({
  type: 'tool_use' as const,
  id: c.id,
  name: c.name,
  input: c.arguments,
});

const event = (name: string, data: unknown): string =>
  `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

const blockStop = (index: number): string =>
  event('content_block_stop', { type: 'content_block_stop', index });

/**
 * One stream's events. The text block (index 0) opens with the first text, and closes before the
 * tool calls' `tool_use` blocks, each sent whole: its start, one `input_json_delta`, its stop. An
 * answer with neither has one empty text block, as Anthropic's do.
 */
function messageStream(jobId: string): StreamWire {
  let blocks = 0;
  let textOpen = false;
  const openText = (): string => {
    if (textOpen) return '';
    textOpen = true;
    blocks += 1;
    return event('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
  };
  const closeText = (): string => {
    if (!textOpen) return '';
    textOpen = false;
    return blockStop(0);
  };
  return {
    start: (model) =>
      event('message_start', {
        type: 'message_start',
        message: {
          id: messageId(jobId),
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // Known when the job ends: message_delta carries both counts.
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      }),
    text: (_model, delta) =>
      openText() +
      event('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: delta },
      }),
    toolCalls: (_model, calls) =>
      closeText() +
      calls
        .map((c) => {
          const index = blocks++;
          return (
            event('content_block_start', {
              type: 'content_block_start',
              index,
              content_block: { ...toolUseOf(c), input: {} },
            }) +
            event('content_block_delta', {
              type: 'content_block_delta',
              index,
              delta: { type: 'input_json_delta', partial_json: JSON.stringify(c.arguments) },
            }) +
            blockStop(index)
          );
        })
        .join(''),
    finish: (_model, finish, result) =>
      (blocks === 0 ? openText() : '') +
      closeText() +
      event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: STOP_REASON[finish], stop_sequence: null },
        usage: usageOf(result),
        keel: keelOf(jobId, result),
      }) +
      event('message_stop', { type: 'message_stop' }),
    // Anthropic's clients raise an `error` event as an APIError; nothing follows it.
    error: (problem) => event('error', anthropicErrorBody(problem)),
  };
}

/** `POST /v1/messages`: Anthropic's body, message and event stream. */
export const anthropicDialect: ChatDialect = {
  parse: parseMessagesBody,
  body: messageBody,
  stream: ({ jobId }) => messageStream(jobId),
};
