import Anthropic from '@anthropic-ai/sdk';
import { FailureType } from '../../../shared/contracts/errors';
import { ProviderFailure } from './classify-error';
import { KeyPool } from './key-pool';
import type {
  ChatMessage,
  FinishReason,
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ModelStreamPart,
  ModelUsage,
  ToolCall,
  ToolsRequest,
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

/** A tool call's arguments as the object Anthropic's `tool_use.input` is ({} if unreadable). */
function inputOf(args: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(args || '{}');
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * Keel's turns as Messages turns: an assistant's tool calls as `tool_use` blocks, and `tool`
 * results as `tool_result` blocks of one user turn (consecutive results share it).
 */
export function anthropicMessages(messages: readonly ChatMessage[]): Anthropic.MessageParam[] {
  const out: Anthropic.MessageParam[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'tool') {
      const block: Anthropic.ToolResultBlockParam = {
        type: 'tool_result',
        tool_use_id: m.toolCallId ?? '',
        content: m.content,
      };
      const last = out.at(-1);
      const results =
        last?.role === 'user' && Array.isArray(last.content) ? last.content : undefined;
      if (results?.every((b) => b.type === 'tool_result')) results.push(block);
      else out.push({ role: 'user', content: [block] });
    } else if (m.role === 'assistant' && m.toolCalls?.length) {
      out.push({
        role: 'assistant',
        content: [
          ...(m.content ? [{ type: 'text' as const, text: m.content }] : []),
          ...m.toolCalls.map((c) => ({
            type: 'tool_use' as const,
            id: c.id,
            name: c.name,
            input: inputOf(c.arguments),
          })),
        ],
      });
    } else out.push({ role: m.role, content: m.content });
  }
  return out;
}

/** The caller's tools and tool choice in Anthropic's words (`required` is `any`). */
function toolParams(
  tools: ToolsRequest,
): Pick<Anthropic.MessageCreateParamsNonStreaming, 'tools' | 'tool_choice'> {
  const choice = tools.toolChoice;
  const parallel = tools.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  return {
    tools: tools.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      input_schema: { type: 'object', ...t.parameters },
    })),
    tool_choice:
      choice === 'none'
        ? { type: 'none' }
        : choice === 'auto'
          ? { type: 'auto', ...parallel }
          : choice === 'required'
            ? { type: 'any', ...parallel }
            : { type: 'tool', name: choice.name, ...parallel },
  };
}

/**
 * The Messages body for a request: the system prompt apart from the turns, and a JSON response
 * format as a forced tool whose input schema is the format's schema. With the caller's tools,
 * the tools are theirs and the format is asked for in the system prompt instead.
 */
function params(req: ModelRequest): Anthropic.MessageCreateParamsNonStreaming {
  const format = req.responseFormat;
  const hint =
    format.type === 'json' && req.tools
      ? `\n\nWhen you answer without calling a tool, answer only JSON matching this JSON Schema: ${JSON.stringify(format.schema)}`
      : '';
  return {
    model: req.model.id ?? req.model.name,
    max_tokens: req.maxOutputTokens,
    // Anthropic's range is 0 to 1; OpenAI's callers may send up to 2.
    ...(req.temperature !== undefined ? { temperature: Math.min(1, req.temperature) } : {}),
    system:
      req.messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n\n') + hint,
    messages: anthropicMessages(req.messages),
    ...(req.tools
      ? toolParams(req.tools)
      : format.type === 'json'
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
      const tool =
        req.responseFormat.type === 'json' && !req.tools ? req.responseFormat.name : undefined;
      const toolUse = message.content.find((b) => b.type === 'tool_use' && b.name === tool);
      const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
      const toolCalls: ToolCall[] = req.tools
        ? message.content.flatMap((b) =>
            b.type === 'tool_use'
              ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) }]
              : [],
          )
        : [];
      return {
        ...(toolUse && toolUse.type === 'tool_use' ? { output: toolUse.input } : { text }),
        ...(toolCalls.length ? { toolCalls } : {}),
        model: message.model,
        usage,
        finishReason: FINISH[message.stop_reason ?? ''] ?? 'other',
        requestId,
      };
    },

    /**
     * Text deltas and, for a JSON format, the forced tool's input JSON as it arrives; a call of
     * the caller's tools once its block ends.
     */
    async *stream(req: ModelRequest): AsyncGenerator<ModelStreamPart> {
      const options = callOptions(req);
      const { data: events, request_id } = await pool.call((client) =>
        client.messages.create({ ...params(req), stream: true }, options).withResponse(),
      );
      const requestId = request_id ?? undefined;
      let model = req.model.id ?? req.model.name;
      let usage = usageOf({});
      let stopReason: string | undefined;
      // The caller's tool calls by block index, their input JSON gathered until the block stops.
      const calls = new Map<number, ToolCall>();
      for await (const event of events) {
        switch (event.type) {
          case 'message_start':
            model = event.message.model;
            usage = usageOf(event.message.usage);
            break;
          case 'content_block_start':
            if (req.tools && event.content_block.type === 'tool_use')
              calls.set(event.index, {
                id: event.content_block.id,
                name: event.content_block.name,
                arguments: '',
              });
            break;
          case 'content_block_delta': {
            const call = calls.get(event.index);
            if (event.delta.type === 'text_delta')
              yield { type: 'text-delta', delta: event.delta.text };
            else if (event.delta.type === 'input_json_delta' && call)
              call.arguments += event.delta.partial_json;
            else if (event.delta.type === 'input_json_delta')
              yield { type: 'text-delta', delta: event.delta.partial_json };
            break;
          }
          case 'content_block_stop': {
            const call = calls.get(event.index);
            if (call) yield { type: 'tool-call', ...call };
            break;
          }
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
