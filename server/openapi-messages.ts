import { CHAT_LIMITS } from '../shared/tasks/chat';
import { TOOL_LIMITS, TOOL_NAME } from '../shared/tasks/chat-tools';
import { anthropicErrorBody } from './chat/anthropic-errors';
import { MessagesBody } from './chat/messages-body';
import {
  count,
  object,
  problems,
  ref,
  schema,
  type Json,
  vendorErrorContent,
} from './openapi-parts';

/**
 * `POST /v1/messages` (Anthropic's Messages API on the `chat` task) as OpenAPI: the body from its
 * zod schema, the message as Anthropic's clients read it (server/chat/messages-wire.ts), and every
 * error in Anthropic's shape (server/chat/anthropic-errors.ts) carrying Keel's problem.
 */

const STOP = { enum: ['end_turn', 'max_tokens', 'refusal', 'tool_use'] };

const anthropicError = vendorErrorContent(
  'AnthropicError',
  (p) => anthropicErrorBody(p).error.type,
);

export function messagesSchemas(): Json {
  return {
    AnthropicMessage: object({
      id: { type: 'string', pattern: '^msg_', description: '`msg_<job id>`.' },
      type: { const: 'message' },
      role: { const: 'assistant' },
      model: {
        type: 'string',
        description: 'The `provider:model` that answered (the asked `model` if none did).',
      },
      content: {
        type: 'array',
        description:
          "A text block if the answer has text, then a `tool_use` block per call of the request's tools (`stop_reason` `tool_use`; each validated: a tool offered, input matching its `input_schema`); empty when output moderation refused the answer.",
        items: {
          oneOf: [
            object({ type: { const: 'text' }, text: { type: 'string' } }),
            object({
              type: { const: 'tool_use' },
              id: { type: 'string' },
              name: { type: 'string' },
              input: { type: 'object' },
            }),
          ],
        },
      },
      stop_reason: STOP,
      stop_sequence: { type: 'null' },
      usage: object({ input_tokens: count, output_tokens: count }),
      keel: ref('ChatKeel'),
    }),
    AnthropicError: object({
      type: { const: 'error' },
      error: object({
        type: { type: 'string', description: "Anthropic's error type for the status." },
        message: { type: 'string', description: 'The detail and the first offending field.' },
        problem: { ...ref('Problem'), description: "Keel's RFC 9457 problem, whole." },
      }),
    }),
  };
}

export function messagesPaths(options: { maxBodyBytes: number }): Json {
  return {
    '/v1/messages': {
      post: {
        summary:
          "Anthropic's Messages API, run as a job of the `chat` task exactly like `/v1/chat/completions` (the same plan, limits, budget, screening, fallbacks, moderation and ledger). The key may come as `x-api-key` (what Anthropic's clients send) or `Authorization: Bearer`. Errors come in Anthropic's shape carrying Keel's problem (docs/chat-completions.md#anthropic-messages).",
        operationId: 'create-message',
        tags: ['openai-compatible'],
        parameters: [
          { $ref: '#/components/parameters/RequestId' },
          { $ref: '#/components/parameters/IdempotencyKey' },
        ],
        requestBody: {
          required: true,
          description: `Body limit: ${options.maxBodyBytes} bytes. Text and tools (\`tools\`, \`tool_choice\`, \`tool_use\` and \`tool_result\` blocks; at most ${TOOL_LIMITS.tools} custom tools named \`${TOOL_NAME.source}\`, each \`input_schema\` at most ${TOOL_LIMITS.schemaChars} characters of JSON): \`thinking\`, \`stop_sequences\`, \`mcp_servers\`, \`container\`, server tools and other blocks are refused (400); \`top_p\`, \`top_k\` and \`service_tier\` are accepted and not passed on. \`max_tokens\` at most ${CHAT_LIMITS.maxTokens}; at most ${CHAT_LIMITS.messages} messages (the system prompt counts as one), ${CHAT_LIMITS.messageChars} characters each and ${CHAT_LIMITS.totalChars} in all.`,
          content: {
            'application/json': {
              schema: schema(MessagesBody, 'input'),
              example: {
                model: 'keel/default',
                max_tokens: 256,
                messages: [{ role: 'user', content: 'Say hello to the support team.' }],
              },
            },
          },
        },
        responses: {
          200: {
            description:
              "The message. Output moderation refusing it is `stop_reason` `refusal` with no content. With `stream: true`, Anthropic's events; anything refused before the first event is still an error status below.",
            headers: {
              'x-keel-job-id': {
                description: 'The job this call ran as.',
                schema: { type: 'string' },
              },
            },
            content: {
              'application/json': { schema: ref('AnthropicMessage') },
              'text/event-stream': {
                schema: {
                  type: 'string',
                  description:
                    '`message_start`, `content_block_start`, `content_block_delta` (text as output moderation releases it), `content_block_stop`, then per tool call its `tool_use` block whole once validated (`content_block_start`, one `input_json_delta`, `content_block_stop`), `message_delta` (stop reason, usage and `keel`), `message_stop`. A failure after the first event ends the stream with one `event: error` carrying an AnthropicError (the official clients raise it).',
                },
              },
            },
          },
          ...problems('POST /v1/messages', anthropicError),
        },
      },
    },
  };
}
