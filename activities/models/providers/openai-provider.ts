import OpenAI from 'openai';
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
  | 'model'
  | 'messages'
  | 'response_format'
  | 'max_completion_tokens'
  | 'tools'
  | 'tool_choice'
  | 'parallel_tool_calls'
>;

/** Keel's turns as Chat Completions messages: tool calls and tool results in OpenAI's shape. */
export function openAIMessages(
  messages: readonly ChatMessage[],
): OpenAI.Chat.ChatCompletionMessageParam[] {
  return messages.map((m): OpenAI.Chat.ChatCompletionMessageParam => {
    if (m.role === 'tool')
      return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
    if (m.role === 'assistant' && m.toolCalls?.length)
      return {
        role: 'assistant',
        content: m.content || null,
        tool_calls: m.toolCalls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
      };
    return { role: m.role, content: m.content };
  });
}

/** The caller's tools as functions, and its tool choice. */
function toolParams(tools: ToolsRequest | undefined): Partial<Params> {
  if (!tools) return {};
  const choice = tools.toolChoice;
  return {
    tools: tools.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: { ...t.parameters },
      },
    })),
    tool_choice:
      typeof choice === 'object' ? { type: 'function', function: { name: choice.name } } : choice,
    ...(tools.parallelToolCalls !== undefined
      ? { parallel_tool_calls: tools.parallelToolCalls }
      : {}),
  };
}

/** A completion's function calls (other kinds of tool calls are not Keel's). */
function toolCallsOf(
  calls: OpenAI.Chat.ChatCompletionMessageToolCall[] | undefined,
): ToolCall[] | undefined {
  const found = (calls ?? []).flatMap((c) =>
    c.type === 'function'
      ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }]
      : [],
  );
  return found.length ? found : undefined;
}

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
    messages: openAIMessages(
      req.messages.map((m, i) =>
        hint && i === 0 && m.role === 'system' ? { ...m, content: m.content + hint } : m,
      ),
    ),
    ...toolParams(req.tools),
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
      const toolCalls = toolCallsOf(choice?.message.tool_calls);
      return {
        text: choice?.message.content ?? '',
        ...(toolCalls ? { toolCalls } : {}),
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
      // A call's id and name come in its first delta, its arguments in pieces after.
      const calls = new Map<number, ToolCall>();
      for await (const chunk of chunks) {
        model = chunk.model || model;
        if (chunk.usage) usage = usageOf(chunk.usage);
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta.refusal) refused = true;
        if (choice.delta.content && !refused)
          yield { type: 'text-delta', delta: choice.delta.content };
        for (const d of choice.delta.tool_calls ?? []) {
          const call = calls.get(d.index) ?? { id: '', name: '', arguments: '' };
          calls.set(d.index, {
            id: d.id || call.id,
            name: call.name + (d.function?.name ?? ''),
            arguments: call.arguments + (d.function?.arguments ?? ''),
          });
        }
        finish = choice.finish_reason ?? finish;
      }
      // The SDK ends a stream silently when its transport is aborted: no finish, no answer.
      if (finish === undefined) throw streamEndedEarly(options.signal);
      if (refused || finish === 'content_filter')
        throw contentFiltered(usage ?? usageOf(null), requestId);
      for (const [, call] of [...calls].sort(([a], [b]) => a - b))
        yield { type: 'tool-call', ...call };
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
