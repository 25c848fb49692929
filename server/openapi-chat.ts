import { CHAT_LIMITS } from '../shared/tasks/chat';
import { TOOL_LIMITS, TOOL_NAME } from '../shared/tasks/chat-tools';
import { ChatCompletionBody } from './chat/chat-body';
import { openAIErrorBody } from './chat/openai-errors';
import {
  count,
  json,
  nullable,
  object,
  problems,
  ref,
  schema,
  type Json,
  vendorErrorContent,
} from './openapi-parts';

/**
 * The OpenAI-compatible paths (server/chat/, docs/chat-completions.md) as OpenAPI: the request
 * body from its zod schema, the answers as OpenAI's clients read them (server/chat/chat-wire.ts),
 * and every error in OpenAI's shape (server/chat/openai-errors.ts) carrying Keel's problem.
 */

const FINISH = { enum: ['stop', 'length', 'content_filter', 'tool_calls'] };

const toolCall = object({
  id: { type: 'string' },
  type: { const: 'function' },
  function: object({
    name: { type: 'string' },
    arguments: {
      type: 'string',
      description: "JSON text of an object, checked against the tool's `parameters`.",
    },
  }),
});

const toolCallDelta = object(
  {
    index: count,
    id: { type: 'string' },
    type: { const: 'function' },
    function: object({ name: { type: 'string' }, arguments: { type: 'string' } }, ['name']),
  },
  ['id', 'type'],
);

const openAIError = vendorErrorContent('OpenAIError', (p) => openAIErrorBody(p).error.type, true);

const jobIdHeader = {
  'x-keel-job-id': {
    description: 'The job this call ran as (`GET /v1/jobs/{id}`, the Web UI, the usage report).',
    schema: { type: 'string' },
  },
};

/** The schemas these paths answer with, for `components.schemas`. */
export function chatSchemas(): Json {
  const usage = object({ prompt_tokens: count, completion_tokens: count, total_tokens: count });
  const keel = {
    ...object({ jobId: { type: 'string' }, meta: ref('ResultMeta') }, ['meta']),
    description:
      "Keel's extension member: the job the call ran as and, when the job ended with an answer, its meta (provider, model, tokens, cost, path, validation). OpenAI's clients ignore it.",
  };
  const id = {
    type: 'string',
    pattern: '^chatcmpl-',
    description: '`chatcmpl-<job id>`.',
  };
  return {
    ChatCompletion: object({
      id,
      object: { const: 'chat.completion' },
      created: { type: 'integer', description: 'Unix seconds.' },
      model: {
        type: 'string',
        description: 'The `provider:model` that answered (the asked `model` if none did).',
      },
      choices: {
        type: 'array',
        minItems: 1,
        maxItems: 1,
        items: object({
          index: { const: 0 },
          message: object(
            {
              role: { const: 'assistant' },
              content: {
                ...nullable({ type: 'string' }),
                description:
                  'The answer; for a `json_schema` or `json_object` format, the validated JSON as text. `null` with `finish_reason` `content_filter`, and with tool calls and no text.',
              },
              refusal: { type: 'null' },
              tool_calls: {
                type: 'array',
                minItems: 1,
                items: toolCall,
                description:
                  "Calls of the request's tools (`finish_reason` `tool_calls`), each validated: a tool offered, arguments matching its schema.",
              },
            },
            ['tool_calls'],
          ),
          finish_reason: FINISH,
          logprobs: { type: 'null' },
        }),
      },
      usage: ref('ChatUsage'),
      system_fingerprint: { type: 'null' },
      keel: ref('ChatKeel'),
    }),
    ChatCompletionChunk: {
      ...object(
        {
          id,
          object: { const: 'chat.completion.chunk' },
          created: { type: 'integer', description: 'Unix seconds.' },
          model: {
            type: 'string',
            description:
              'The `provider:model` that answers, the same in every chunk of a stream (the candidate that sent the first text, or the one that answered when the job ended).',
          },
          system_fingerprint: { type: 'null' },
          choices: {
            type: 'array',
            maxItems: 1,
            description: 'Empty in the usage chunk.',
            items: object({
              index: { const: 0 },
              delta: object(
                {
                  role: { const: 'assistant' },
                  content: { type: 'string' },
                  tool_calls: { type: 'array', items: toolCallDelta },
                },
                ['role', 'content', 'tool_calls'],
              ),
              logprobs: { type: 'null' },
              finish_reason: nullable(FINISH),
            }),
          },
          usage: ref('ChatUsage'),
          keel: ref('ChatKeel'),
        },
        ['usage', 'keel'],
      ),
      description:
        'One `data:` event of a stream. The first carries `delta.role`; tool calls come whole after the text, validated (`delta.tool_calls`: id and name, then the arguments); the one with a `finish_reason` carries `keel`; with `stream_options.include_usage` a last chunk has empty `choices` and `usage`.',
    },
    ChatUsage: usage,
    ChatKeel: keel,
    OpenAIError: object({
      error: object({
        message: { type: 'string' },
        type: {
          type: 'string',
          description:
            "OpenAI's error type for the status (`insufficient_quota` for `budget-exceeded`).",
        },
        param: {
          ...nullable({ type: 'string' }),
          description: 'The first offending field, as the caller named it.',
        },
        code: { type: 'string', description: "The problem's slug." },
        problem: { ...ref('Problem'), description: "Keel's RFC 9457 problem, whole." },
      }),
    }),
    Model: object({
      id: { type: 'string', description: 'An alias (`keel/fast`) or a `provider:model`.' },
      object: { const: 'model' },
      created: { const: 0, description: 'Keel’s routes have no creation date.' },
      owned_by: { type: 'string', description: '`keel` for an alias, else the provider.' },
    }),
    ModelList: object({
      object: { const: 'list' },
      data: { type: 'array', items: ref('Model') },
    }),
  };
}

/** `/v1/chat/completions` and `/v1/models`, as OpenAPI paths. */
export function chatPaths(options: { maxBodyBytes: number }): Json {
  const modelId = {
    name: 'id',
    in: 'path',
    required: true,
    description:
      'An alias or `provider:model`; an alias’s `/` may be sent as is (`/v1/models/keel/fast`) or encoded.',
    schema: { type: 'string' },
  };
  return {
    '/v1/chat/completions': {
      post: {
        summary:
          "OpenAI's Chat Completions, run as a job of the `chat` task: the tenant's plan, limits and budget, input screening (PII redacted before the model and restored after), fallbacks across the model's candidates, validation (a `json_schema` answer is checked, with one re-ask), output moderation, the usage ledger. Errors come in OpenAI's shape, `code` naming Keel's problem (docs/chat-completions.md).",
        operationId: 'create-chat-completion',
        tags: ['openai-compatible'],
        parameters: [
          { $ref: '#/components/parameters/RequestId' },
          { $ref: '#/components/parameters/IdempotencyKey' },
        ],
        requestBody: {
          required: true,
          description: `Body limit: ${options.maxBodyBytes} bytes. \`model\`: an alias (\`keel/default\`, \`keel/fast\`, \`keel/smart\`, or one the plan defines) or a configured \`provider:model\` (GET /v1/models). Keel uses \`model\`, \`messages\` (with \`tool\` results and assistant \`tool_calls\`), \`temperature\`, \`max_completion_tokens\` (or \`max_tokens\`), \`response_format\`, \`tools\`, \`tool_choice\`, \`parallel_tool_calls\`, \`stream\` and \`stream_options.include_usage\`; \`functions\`, \`function_call\` and \`n\` other than 1 are refused (400); the other fields are accepted and not passed on. At most ${TOOL_LIMITS.tools} tools named \`${TOOL_NAME.source}\`, each \`parameters\` a JSON Schema of an object of at most ${TOOL_LIMITS.schemaChars} characters of JSON, ${TOOL_LIMITS.toolsChars} for all the tools. At most ${CHAT_LIMITS.messages} messages, ${CHAT_LIMITS.messageChars} characters each and ${CHAT_LIMITS.totalChars} in all; \`max_completion_tokens\` at most ${CHAT_LIMITS.maxTokens}; a \`json_schema\` schema at most ${CHAT_LIMITS.schemaChars} characters of JSON.`,
          content: {
            'application/json': {
              schema: schema(ChatCompletionBody, 'input'),
              example: {
                model: 'keel/default',
                messages: [{ role: 'user', content: 'Say hello to the support team.' }],
              },
            },
          },
        },
        responses: {
          200: {
            description:
              'The answer. Output moderation refusing it is a `content_filter` finish (content `null`), not an error. With `stream: true`, server-sent events; anything refused before the first event (limits, budget, an unknown model, every candidate failing) is still an error status below.',
            headers: jobIdHeader,
            content: {
              'application/json': { schema: ref('ChatCompletion') },
              'text/event-stream': {
                schema: {
                  type: 'string',
                  description:
                    'With `stream: true`: `data: <ChatCompletionChunk>` events (text as output moderation releases it, holding back the end of the text), then `data: [DONE]`. A failure after the first event ends the stream with one `data: <OpenAIError>` event and no `[DONE]` (the official clients raise it; never a normal `finish_reason`): `stream-interrupted`, or the problem the job failed with.',
                },
                'x-keel-events': {
                  oneOf: [ref('ChatCompletionChunk'), ref('OpenAIError'), { const: '[DONE]' }],
                },
              },
            },
          },
          ...problems('POST /v1/chat/completions', openAIError),
        },
      },
    },
    '/v1/models': {
      get: {
        summary:
          "The models the key may name: its aliases (Keel's and its plan's) with a candidate this deployment can call, then every configured `provider:model` of an enabled provider.",
        operationId: 'list-models',
        tags: ['openai-compatible'],
        responses: {
          200: json('The models.', ref('ModelList')),
          ...problems('GET /v1/models', openAIError),
        },
      },
    },
    '/v1/models/{id}': {
      get: {
        summary: 'One model of the list.',
        operationId: 'retrieve-model',
        tags: ['openai-compatible'],
        parameters: [modelId],
        responses: {
          200: json('The model.', ref('Model')),
          ...problems('GET /v1/models/{id}', openAIError),
        },
      },
    },
  };
}
