import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { FailureType } from '../../shared/errors';
import { ProviderFailure } from './classify-error';
import {
  schemaName,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
} from './model-provider';

export interface AnthropicProviderSettings {
  name: string;
  apiKey?: string;
  /** e.g. ANTHROPIC_BASE_URL. */
  baseURL?: string;
  fetch?: typeof fetch;
}

const FINISH: Record<string, ModelResponse['finishReason']> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  tool_use: 'tool',
  max_tokens: 'length',
  refusal: 'content-filter',
};

/**
 * Anthropic through the official SDK. Structured output by forcing a tool whose input schema is
 * the task's output schema; a model that answers with text instead is parsed like any text.
 */
export function createAnthropicProvider(settings: AnthropicProviderSettings): ModelProvider {
  const client = new Anthropic({
    apiKey: settings.apiKey ?? 'not-needed',
    baseURL: settings.baseURL,
    maxRetries: 0,
    fetch: settings.fetch,
    // The SDK's own logging can print response bodies; Keel logs what it needs, masked.
    logLevel: 'off',
  });
  return {
    slug: settings.name,
    type: 'anthropic',
    async generate(req: ModelRequest): Promise<ModelResponse> {
      const tool = schemaName(req.task);
      const message = await client.messages.create(
        {
          model: req.model.id ?? req.model.name,
          max_tokens: req.maxOutputTokens,
          // Anthropic takes the system prompt apart from the turns.
          system: req.messages
            .filter((m) => m.role === 'system')
            .map((m) => m.content)
            .join('\n\n'),
          messages: req.messages.flatMap((m) =>
            m.role === 'system' ? [] : [{ role: m.role, content: m.content }],
          ),
          tools: [
            {
              name: tool,
              description: req.task.description,
              input_schema: z.toJSONSchema(req.task.output) as Anthropic.Tool.InputSchema,
            },
          ],
          tool_choice: { type: 'tool', name: tool },
        },
        // The SDK's timeout covers the wait for headers only; the combined signal also ends a body
        // that stalls half-way, so no call outlives its deadline.
        {
          signal: AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]),
          timeout: req.timeoutMs,
        },
      );
      const cached = message.usage.cache_read_input_tokens ?? 0;
      const usage = {
        inputTokens:
          message.usage.input_tokens + cached + (message.usage.cache_creation_input_tokens ?? 0),
        outputTokens: message.usage.output_tokens,
        cachedInputTokens: cached,
      };
      const requestId = message._request_id ?? undefined;
      if (message.stop_reason === 'refusal') {
        throw new ProviderFailure(FailureType.ContentFilter, 'refused', {
          billedUsage: usage,
          requestId,
        });
      }
      const toolUse = message.content.find((b) => b.type === 'tool_use' && b.name === tool);
      const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
      return {
        ...(toolUse && toolUse.type === 'tool_use' ? { output: toolUse.input } : { text }),
        model: message.model,
        usage,
        finishReason: FINISH[message.stop_reason ?? ''] ?? 'other',
        requestId,
      };
    },
  };
}
