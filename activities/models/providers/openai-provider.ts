import OpenAI from 'openai';
import { FailureType } from '../../../shared/contracts/errors';
import { ProviderFailure } from './classify-error';
import { KeyPool } from './key-pool';
import type {
  FinishReason,
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ModelStreamPart,
  ModelUsage,
} from './model-provider';
import { callOptions, clientOptions, streamEndedEarly } from './request-options';

export interface OpenAIProviderSettings {
  /** Route prefix (`openai`, or `ollama` for an OpenAI-compatible server). */
  name: string;
  /** OpenAI itself or a compatible server; both are external. @default 'openai' */
  type?: 'openai' | 'openai-compatible';
  apiKey?: string;
  /** A key pool: calls spread over these keys, each skipped while its vendor says it is out. */
  apiKeys?: readonly string[];
  /** e.g. OPENAI_BASE_URL, or `http://127.0.0.1:11434/v1` for Ollama. */
  baseURL?: string;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content-filter',
  tool_calls: 'tool',
};

type Params = Pick<
  OpenAI.Chat.ChatCompletionCreateParams,
  'model' | 'messages' | 'response_format' | 'max_completion_tokens'
>;

/**
 * The Chat Completions body for a request. A JSON response format becomes a strict json_schema
 * when the model supports it, JSON mode with the schema spelled out in the system turn otherwise.
 */
function params(req: ModelRequest): Params {
  const format = req.responseFormat;
  const native = format.type === 'json' && req.model.capabilities.structuredOutput;
  const hint =
    format.type === 'json' && !native
      ? `\nThe JSON must match this JSON Schema: ${JSON.stringify(format.schema)}`
      : '';
  return {
    model: req.model.id ?? req.model.name,
    messages: req.messages.map((m, i) =>
      hint && i === 0 && m.role === 'system' ? { ...m, content: m.content + hint } : m,
    ),
    ...(format.type === 'json'
      ? {
          response_format: native
            ? {
                type: 'json_schema',
                json_schema: {
                  name: format.name,
                  strict: format.strict !== false,
                  schema: { ...format.schema },
                },
              }
            : { type: 'json_object' },
        }
      : {}),
    max_completion_tokens: req.maxOutputTokens,
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
  };
}

function usageOf(usage: OpenAI.CompletionUsage | null | undefined): ModelUsage {
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
    cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

/** Billed, and not worth retrying against the same model. */
const contentFiltered = (usage: ModelUsage, requestId: string | undefined): ProviderFailure =>
  new ProviderFailure(FailureType.ContentFilter, 'content filtered', {
    billedUsage: usage,
    requestId,
  });

/**
 * OpenAI and OpenAI-compatible servers (vLLM, Ollama, LM Studio) through the official SDK.
 * `maxRetries: 0`: Temporal owns retries.
 */
export function createOpenAIProvider(settings: OpenAIProviderSettings): ModelProvider {
  const keys = settings.apiKeys?.length ? settings.apiKeys : [settings.apiKey];
  const pool = new KeyPool(
    keys.map((apiKey) => new OpenAI(clientOptions({ ...settings, apiKey }))),
  );
  return {
    slug: settings.name,
    type: settings.type ?? 'openai',
    async generate(req: ModelRequest): Promise<ModelResponse> {
      const { data: completion, request_id } = await pool.call((client) =>
        client.chat.completions.create(params(req), callOptions(req)).withResponse(),
      );
      const choice = completion.choices[0];
      const usage = usageOf(completion.usage);
      const requestId = request_id ?? undefined;
      if (choice?.finish_reason === 'content_filter' || choice?.message.refusal) {
        throw contentFiltered(usage, requestId);
      }
      return {
        text: choice?.message.content ?? '',
        model: completion.model,
        usage,
        finishReason: FINISH[choice?.finish_reason ?? ''] ?? 'other',
        requestId,
      };
    },

    async *stream(req: ModelRequest): AsyncGenerator<ModelStreamPart> {
      const options = callOptions(req);
      const { data: chunks, request_id } = await pool.call((client) =>
        client.chat.completions
          .create(
            { ...params(req), stream: true, stream_options: { include_usage: true } },
            options,
          )
          .withResponse(),
      );
      const requestId = request_id ?? undefined;
      let finish: string | undefined;
      let refused = false;
      let model = req.model.id ?? req.model.name;
      let usage: ModelUsage | undefined;
      for await (const chunk of chunks) {
        model = chunk.model || model;
        if (chunk.usage) usage = usageOf(chunk.usage);
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta.refusal) refused = true;
        if (choice.delta.content && !refused)
          yield { type: 'text-delta', delta: choice.delta.content };
        finish = choice.finish_reason ?? finish;
      }
      // The SDK ends a stream silently when its transport is aborted: no finish, no answer.
      if (finish === undefined) throw streamEndedEarly(options.signal);
      if (refused || finish === 'content_filter')
        throw contentFiltered(usage ?? usageOf(null), requestId);
      yield {
        type: 'finish',
        finishReason: FINISH[finish] ?? 'other',
        usage: usage ?? usageOf(null),
        model,
        requestId,
      };
    },
  };
}
