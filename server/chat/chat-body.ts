import { z } from 'zod';
import { toFieldErrors, type FieldError } from '../../shared/contracts/errors';
import { CHAT_LIMITS, ChatInput, JsonSchemaName } from '../../shared/tasks/chat';
import { invalidRequest } from '../problem';

/**
 * The body of `POST /v1/chat/completions`, as OpenAI's Chat Completions API takes it. What Keel
 * does not do yet is refused by name (several choices, images, the deprecated `functions`) rather
 * than ignored; the
 * sampling knobs Keel cannot pass on to every vendor are accepted and ignored (listed in
 * docs/chat-completions.md). Anything else is a 400 naming the field, as OpenAI answers.
 */
const TextPart = z.object({ type: z.literal('text'), text: z.string() }).strict();

const Content = z.union([z.string(), z.array(TextPart).min(1)]);

const Message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: Content, name: z.string().optional() }).strict(),
  z
    .object({ role: z.literal('developer'), content: Content, name: z.string().optional() })
    .strict(),
  z.object({ role: z.literal('user'), content: Content, name: z.string().optional() }).strict(),
  z
    .object({
      role: z.literal('assistant'),
      content: Content.nullish(),
      name: z.string().optional(),
      refusal: z.string().nullable().optional(),
      tool_calls: z
        .array(
          z
            .object({
              id: z.string(),
              type: z.literal('function'),
              function: z.object({ name: z.string(), arguments: z.string() }).strict(),
            })
            .strict(),
        )
        .nullish(),
    })
    .strict(),
  z.object({ role: z.literal('tool'), content: Content, tool_call_id: z.string() }).strict(),
]);

const Tool = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: z.string(),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullish(),
      })
      .strict(),
  })
  .strict();

const ToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z
    .object({ type: z.literal('function'), function: z.object({ name: z.string() }).strict() })
    .strict(),
]);

const ResponseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }).strict(),
  z.object({ type: z.literal('json_object') }).strict(),
  z
    .object({
      type: z.literal('json_schema'),
      json_schema: z
        .object({
          name: JsonSchemaName,
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullable().optional(),
        })
        .strict(),
    })
    .strict(),
]);

/** Accepted for compatibility and not passed on (not every vendor has them). */
const IGNORED = {
  top_p: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  presence_penalty: z.number().nullish(),
  seed: z.number().int().nullish(),
  logprobs: z.literal(false).nullish(),
  store: z.boolean().nullish(),
  service_tier: z.string().nullish(),
};

const NOT_YET = 'not supported by Keel yet (docs/chat-completions.md#not-yet)';

export const ChatCompletionBody = z
  .object({
    model: z.string().min(1).max(200),
    messages: z.array(Message).min(1),
    temperature: z.number().min(0).max(2).nullish(),
    max_tokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens).nullish(),
    max_completion_tokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens).nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullish(),
    response_format: ResponseFormat.nullish(),
    user: z.string().max(256).nullish(),
    metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
    n: z.literal(1, { error: 'only n: 1' }).nullish(),
    tools: z.array(Tool).nullish(),
    tool_choice: ToolChoice.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    functions: z.never({ error: `deprecated by OpenAI: send tools; ${NOT_YET}` }).optional(),
    function_call: z
      .never({ error: `deprecated by OpenAI: send tool_choice; ${NOT_YET}` })
      .optional(),
    ...IGNORED,
  })
  .strict();
export type ChatCompletionBody = z.output<typeof ChatCompletionBody>;

/** A request as Keel runs it: the chat task's input, and how the caller wants it back. */
export interface ChatCall {
  model: string;
  input: ChatInput;
  stream: boolean;
  includeUsage: boolean;
}

const textOf = (content: z.output<typeof Content> | null): string =>
  content === null
    ? ''
    : typeof content === 'string'
      ? content
      : content.map((p) => p.text).join('');

/** A vendor body's errors, an unknown member named as the vendors name it: one error per key. */
export function bodyFieldErrors(error: z.ZodError): FieldError[] {
  return toFieldErrors(
    error.issues.flatMap((i): Array<{ path: PropertyKey[]; message: string }> =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({ path: [...i.path, k], message: 'unknown parameter' }))
        : [i],
    ),
  );
}

/** Checks the body and turns it into the chat task's input; a 400 names each offending field. */
export function parseChatBody(body: unknown): ChatCall {
  const parsed = ChatCompletionBody.safeParse(body);
  if (!parsed.success) {
    throw invalidRequest(
      'The body is not a chat completion request Keel serves.',
      bodyFieldErrors(parsed.error),
    );
  }
  const b = parsed.data;
  const format = b.response_format;
  const choice = b.tool_choice;
  const candidate = {
    messages: b.messages.map((m) => ({
      // OpenAI's `developer` is the newer name of `system`.
      role: m.role === 'developer' ? ('system' as const) : m.role,
      content: textOf(m.content ?? null),
      ...(m.role === 'tool' ? { toolCallId: m.tool_call_id } : {}),
      ...(m.role === 'assistant' && m.tool_calls?.length
        ? {
            toolCalls: m.tool_calls.map((c) => ({
              id: c.id,
              name: c.function.name,
              arguments: c.function.arguments,
            })),
          }
        : {}),
    })),
    ...(b.tools
      ? {
          tools: b.tools.map((t) => ({
            name: t.function.name,
            ...(t.function.description !== undefined
              ? { description: t.function.description }
              : {}),
            // No parameters: a function that takes none.
            parameters: t.function.parameters ?? { type: 'object', properties: {} },
          })),
        }
      : {}),
    ...(choice
      ? { toolChoice: typeof choice === 'string' ? choice : { name: choice.function.name } }
      : {}),
    ...(b.parallel_tool_calls != null ? { parallelToolCalls: b.parallel_tool_calls } : {}),
    ...(format?.type === 'json_schema'
      ? {
          responseFormat: {
            type: 'json_schema' as const,
            name: format.json_schema.name,
            schema: format.json_schema.schema ?? { type: 'object' },
            ...(format.json_schema.strict != null ? { strict: format.json_schema.strict } : {}),
          },
        }
      : format
        ? { responseFormat: { type: format.type } }
        : {}),
    ...((b.max_completion_tokens ?? b.max_tokens)
      ? { maxTokens: b.max_completion_tokens ?? b.max_tokens }
      : {}),
    ...(b.temperature != null ? { temperature: b.temperature } : {}),
  };
  const input = ChatInput.safeParse(candidate);
  if (!input.success) {
    throw invalidRequest(
      'The request is outside what Keel accepts (docs/chat-completions.md#limits).',
      toFieldErrors(input.error.issues).map((e) => ({ ...e, field: wireField(e.field) })),
    );
  }
  return {
    model: b.model,
    input: input.data,
    stream: b.stream === true,
    includeUsage: b.stream_options?.include_usage === true,
  };
}

/** The chat task's field as the caller named it (`responseFormat.schema` → `response_format…`). */
function wireField(field: string): string {
  return field
    .replace(/^tools\.(\d+)\.(name|description|parameters)/, 'tools.$1.function.$2')
    .replace(/^toolChoice\.name/, 'tool_choice.function.name')
    .replace(/^toolChoice/, 'tool_choice')
    .replace(/^parallelToolCalls/, 'parallel_tool_calls')
    .replace(/^(messages\.\d+)\.toolCallId/, '$1.tool_call_id')
    .replace(/^(messages\.\d+)\.toolCalls\.(\d+)\.(name|arguments)/, '$1.tool_calls.$2.function.$3')
    .replace(/^(messages\.\d+)\.toolCalls/, '$1.tool_calls')
    .replace(/^responseFormat\.schema/, 'response_format.json_schema.schema')
    .replace(/^responseFormat\.name/, 'response_format.json_schema.name')
    .replace(/^responseFormat/, 'response_format')
    .replace(/^maxTokens/, 'max_completion_tokens');
}
