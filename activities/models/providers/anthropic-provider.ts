import Anthropic from '@anthropic-ai/sdk';
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

export interface AnthropicProviderSettings {
  name: string;
  apiKey?: string;
  /** A key pool: calls spread over these keys, each skipped while its vendor says it is out. */
  apiKeys?: readonly string[];
  /** e.g. ANTHROPIC_BASE_URL. */
  baseURL?: string;
  fetch?: typeof fetch;
}

const FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  tool_use: 'tool',
  max_tokens: 'length',
  refusal: 'content-filter',
};

/**
 * The Messages body for a request: the system prompt apart from the turns, and a JSON response
 * format as a forced tool whose input schema is the format's schema.
 */
function params(req: ModelRequest): Anthropic.MessageCreateParamsNonStreaming {
  const format = req.responseFormat;
  return {
    model: req.model.id ?? req.model.name,
    max_tokens: req.maxOutputTokens,
    // Anthropic's range is 0 to 1; OpenAI's callers may send up to 2.
    ...(req.temperature !== undefined ? { temperature: Math.min(1, req.temperature) } : {}),
    system: req.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n'),
    messages: req.messages.flatMap((m) =>
      m.role === 'system' ? [] : [{ role: m.role, content: m.content }],
    ),
    ...(format.type === 'json'
      ? {
          tools: [
            {
              name: format.name,
              description: format.description,
              input_schema: format.schema as Anthropic.Tool.InputSchema,
            },
          ],
          tool_choice: { type: 'tool', name: format.name },
        }
      : {}),
  };
}

/** Anthropic counts cache reads and writes apart from input_tokens; Keel's input is all three. */
function usageOf(usage: {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}): ModelUsage {
  const cached = usage.cache_read_input_tokens ?? 0;
  return {
    inputTokens: (usage.input_tokens ?? 0) + cached + (usage.cache_creation_input_tokens ?? 0),
    outputTokens: usage.output_tokens ?? 0,
    cachedInputTokens: cached,
  };
}

const refused = (usage: ModelUsage, requestId: string | undefined): ProviderFailure =>
  new ProviderFailure(FailureType.ContentFilter, 'refused', { billedUsage: usage, requestId });

/**
 * Anthropic through the official SDK. Structured output by forcing a tool whose input schema is
 * the requested JSON schema; a model that answers with text instead is parsed like any text.
 */
export function createAnthropicProvider(settings: AnthropicProviderSettings): ModelProvider {
  const keys = settings.apiKeys?.length ? settings.apiKeys : [settings.apiKey];
  const pool = new KeyPool(
    keys.map((apiKey) => new Anthropic(clientOptions({ ...settings, apiKey }))),
  );
  return {
    slug: settings.name,
    type: 'anthropic',
    async generate(req: ModelRequest): Promise<ModelResponse> {
      const { data: message, request_id } = await pool.call((client) =>
        client.messages.create(params(req), callOptions(req)).withResponse(),
      );
      const usage = usageOf(message.usage);
      const requestId = request_id ?? undefined;
      if (message.stop_reason === 'refusal') throw refused(usage, requestId);
      const tool = req.responseFormat.type === 'json' ? req.responseFormat.name : undefined;
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

    /** Text deltas and, for a JSON format, the forced tool's input JSON as it arrives. */
    async *stream(req: ModelRequest): AsyncGenerator<ModelStreamPart> {
      const options = callOptions(req);
      const { data: events, request_id } = await pool.call((client) =>
        client.messages.create({ ...params(req), stream: true }, options).withResponse(),
      );
      const requestId = request_id ?? undefined;
      let model = req.model.id ?? req.model.name;
      let usage = usageOf({});
      let stopReason: string | undefined;
      for await (const event of events) {
        switch (event.type) {
          case 'message_start':
            model = event.message.model;
            usage = usageOf(event.message.usage);
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta')
              yield { type: 'text-delta', delta: event.delta.text };
            else if (event.delta.type === 'input_json_delta')
              yield { type: 'text-delta', delta: event.delta.partial_json };
            break;
          case 'message_delta':
            // The final output count; input and cache counts stay as message_start gave them.
            usage = { ...usage, outputTokens: event.usage.output_tokens };
            stopReason = event.delta.stop_reason ?? stopReason;
            break;
          default:
            break;
        }
      }
      // A stream cut or aborted before message_delta carries no stop reason: no complete answer.
      if (stopReason === undefined) throw streamEndedEarly(options.signal);
      if (stopReason === 'refusal') throw refused(usage, requestId);
      yield {
        type: 'finish',
        finishReason: FINISH[stopReason] ?? 'other',
        usage,
        model,
        requestId,
      };
    },
  };
}
