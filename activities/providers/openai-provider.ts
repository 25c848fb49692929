import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { FailureType } from '../../shared/errors';
import { ProviderFailure } from './classify-error';
import {
  schemaName,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
} from './model-provider';

export interface OpenAIProviderSettings {
  /** Route prefix (`openai`, or `ollama` for an OpenAI-compatible server). */
  name: string;
  /** OpenAI itself or a compatible server; both are external. @default 'openai' */
  type?: 'openai' | 'openai-compatible';
  apiKey?: string;
  /** e.g. OPENAI_BASE_URL, or `http://127.0.0.1:11434/v1` for Ollama. */
  baseURL?: string;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

const FINISH: Record<string, ModelResponse['finishReason']> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content-filter',
  tool_calls: 'tool',
};

/**
 * OpenAI and OpenAI-compatible servers (vLLM, Ollama, LM Studio) through the official SDK.
 * Structured output via the SDK's zod helper when the model supports json_schema, JSON mode
 * with the schema in the system prompt otherwise. `maxRetries: 0`: Temporal owns retries.
 */
export function createOpenAIProvider(settings: OpenAIProviderSettings): ModelProvider {
  const client = new OpenAI({
    apiKey: settings.apiKey ?? 'not-needed',
    baseURL: settings.baseURL,
    maxRetries: 0,
    fetch: settings.fetch,
    // The SDK's own logging can print response bodies; Keel logs what it needs, masked.
    logLevel: 'off',
  });
  return {
    slug: settings.name,
    type: settings.type ?? 'openai',
    async generate(req: ModelRequest): Promise<ModelResponse> {
      const structured = req.model.capabilities.structuredOutput;
      // Without native structured output, JSON mode plus the schema spelled out in the system turn.
      const hint = `\nThe JSON must match this JSON Schema: ${JSON.stringify(z.toJSONSchema(req.task.output))}`;
      const messages = req.messages.map((m, i) =>
        !structured && i === 0 && m.role === 'system' ? { ...m, content: m.content + hint } : m,
      );
      const completion = await client.chat.completions.create(
        {
          model: req.model.id ?? req.model.name,
          messages,
          response_format: structured
            ? zodResponseFormat(req.task.output, schemaName(req.task))
            : { type: 'json_object' },
          max_completion_tokens: req.maxOutputTokens,
        },
        // The SDK's timeout covers the wait for headers only; the combined signal also ends a body
        // that stalls half-way, so no call outlives its deadline.
        {
          signal: AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]),
          timeout: req.timeoutMs,
        },
      );
      const choice = completion.choices[0];
      const usage = {
        inputTokens: completion.usage?.prompt_tokens ?? 0,
        outputTokens: completion.usage?.completion_tokens ?? 0,
        cachedInputTokens: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      };
      const requestId = completion._request_id ?? undefined;
      if (choice?.finish_reason === 'content_filter' || choice?.message.refusal) {
        // Billed, and not worth retrying against the same model.
        throw new ProviderFailure(FailureType.ContentFilter, 'content filtered', {
          billedUsage: usage,
          requestId,
        });
      }
      return {
        text: choice?.message.content ?? '',
        model: completion.model,
        usage,
        finishReason: FINISH[choice?.finish_reason ?? ''] ?? 'other',
        requestId,
      };
    },
  };
}
