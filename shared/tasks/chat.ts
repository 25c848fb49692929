import { z } from 'zod';
import {
  CHAT_TASK_NAME,
  type ChatMessage,
  type ResponseFormat,
  type ToolCall,
} from '../contracts/chat';
import { parseModelJson, type ParsedModelJson } from '../guards/parse-model-json';
import { compiles, schemaIssues } from './caller-schema';
import {
  AnswerToolCall,
  localToolCalls,
  readToolCalls,
  TOOL_LIMITS,
  ToolCallSchema,
  ToolChoiceSchema,
  toolCallIssues,
  toolsRequest,
  ToolsSchema,
} from './chat-tools';
import { exampleOf } from './json-example';
import { defineTask, type BusinessRule } from './task-definition';

/**
 * `chat`: a conversation sent as it is, behind `POST /v1/chat/completions` (server/chat/). It is
 * a task like the others so that every protection runs on the same code: admission, plans and
 * budgets, input screening (PII redacted before the model, restored in the answer), fallbacks,
 * breakers, validation (the caller's JSON Schema, with one re-ask), output moderation, the usage
 * ledger. What differs is declared in `conversation`: the messages are the caller's, and the
 * answer is text unless the caller asked for JSON. docs/chat-completions.md.
 */
export const CHAT_TASK = CHAT_TASK_NAME;

/** Limits of one chat request (documented in docs/chat-completions.md#limits). */
export const CHAT_LIMITS = {
  messages: 256,
  messageChars: 100_000,
  totalChars: 400_000,
  maxTokens: 32_768,
  schemaChars: 20_000,
} as const;

/** A turn; an assistant's may carry tool calls, a `tool` turn is one call's result. */
const Message = z
  .object({
    role: z.enum(['system', 'user', 'assistant', 'tool']),
    content: z.string().max(CHAT_LIMITS.messageChars),
    toolCalls: z.array(ToolCallSchema).min(1).max(TOOL_LIMITS.calls).optional(),
    toolCallId: z.string().min(1).max(TOOL_LIMITS.idChars).optional(),
  })
  .strict()
  .refine((m) => (m.role === 'tool') === (m.toolCallId !== undefined), {
    message: 'a tool message, and only one, names the call it answers',
    path: ['toolCallId'],
  })
  .refine((m) => m.toolCalls === undefined || m.role === 'assistant', {
    message: 'only an assistant message carries tool calls',
    path: ['toolCalls'],
  });

/** A `json_schema` response format's name, as OpenAI allows it. */
export const JsonSchemaName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');

const Format = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }).strict(),
  z.object({ type: z.literal('json_object') }).strict(),
  z
    .object({
      type: z.literal('json_schema'),
      name: JsonSchemaName,
      schema: z
        .record(z.string(), z.unknown())
        .refine((s) => JSON.stringify(s).length <= CHAT_LIMITS.schemaChars, {
          message: `at most ${CHAT_LIMITS.schemaChars} characters of JSON`,
        })
        .refine((s) => compiles(s), { message: 'not a valid JSON Schema' }),
      strict: z.boolean().optional(),
    })
    .strict(),
]);

export const ChatInput = z
  .object({
    messages: z
      .array(Message)
      .min(1)
      .max(CHAT_LIMITS.messages)
      .refine(
        (ms) => ms.reduce((n, m) => n + m.content.length, 0) <= CHAT_LIMITS.totalChars,
        `at most ${CHAT_LIMITS.totalChars} characters in all`,
      )
      .refine((ms) => ms.some((m) => m.role !== 'system'), 'needs a user or assistant message'),
    responseFormat: Format.default({ type: 'text' }),
    maxTokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens).optional(),
    temperature: z.number().min(0).max(2).optional(),
    /** Functions the model may call (docs/chat-completions.md#tools). */
    tools: ToolsSchema.optional(),
    toolChoice: ToolChoiceSchema.optional(),
    parallelToolCalls: z.boolean().optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const choice = input.toolChoice;
    if (choice !== undefined && choice !== 'none' && !input.tools?.length)
      ctx.addIssue({ code: 'custom', path: ['toolChoice'], message: 'needs tools to choose from' });
    if (typeof choice === 'object' && !input.tools?.some((t) => t.name === choice.name))
      ctx.addIssue({
        code: 'custom',
        path: ['toolChoice', 'name'],
        message: 'names no tool of the request',
      });
  });
export type ChatInput = z.output<typeof ChatInput>;

/**
 * The answer: the assistant's text (for a JSON format, the JSON as text), and the calls of the
 * caller's tools when it made any (then `content` may be empty).
 */
export const ChatOutput = z
  .object({ content: z.string(), toolCalls: z.array(AnswerToolCall).min(1).optional() })
  .strict();
export type ChatOutput = z.output<typeof ChatOutput>;

/** The JSON an answer must be, if any: a schema, any object, or none (text). */
function jsonWanted(input: ChatInput): Record<string, unknown> | undefined {
  const format = input.responseFormat;
  if (format.type === 'json_schema') return format.schema;
  return format.type === 'json_object' ? { type: 'object' } : undefined;
}

/** A JSON answer matches the caller's schema (the re-ask names what does not). */
const matchesSchema: BusinessRule<ChatInput, ChatOutput> = {
  id: 'matches-response-format',
  description: 'A JSON answer matches the response_format the caller sent.',
  action: 're-ask',
  check(output, input) {
    const schema = jsonWanted(input);
    // An answer that calls tools is the calls: its text, if any, is not the JSON answer.
    if (!schema || output.toolCalls) return [];
    const parsed = parseModelJson(output.content);
    if (!parsed.ok) return [{ field: 'content', message: parsed.message, rule: this.id }];
    return schemaIssues(schema, parsed.value, 'content').map((i) => ({ ...i, rule: this.id }));
  },
};

/** Tool calls name a tool offered, match its parameters and obey tool_choice. */
const callsOfferedTools: BusinessRule<ChatInput, ChatOutput> = {
  id: 'calls-offered-tools',
  description:
    'Tool calls name a tool the caller offered, their arguments match its parameters schema, and the tool_choice is obeyed.',
  action: 're-ask',
  check(output, input) {
    return toolCallIssues(output.toolCalls ?? [], input).map((i) => ({ ...i, rule: this.id }));
  },
};

/** The local model's answer: deterministic, honest about being local, never a made-up fact. */
function localAnswer(input: ChatInput): ChatOutput {
  // A request that requires a tool call gets one: the first (or named) tool, example arguments.
  const calls = localToolCalls(input);
  if (calls) return { content: '', toolCalls: calls };
  const schema = jsonWanted(input);
  if (schema) return { content: JSON.stringify(exampleOf(schema)) };
  const last = [...input.messages].reverse().find((m) => m.role === 'user');
  const words = last ? last.content.split(/\s+/).filter(Boolean).length : 0;
  return {
    content:
      `This answer comes from Keel's built-in local model, which does not generate text: ` +
      `no model provider answered this request. Your last message had ${words} words.`,
  };
}

function responseFormatOf(input: ChatInput): ResponseFormat {
  const format = input.responseFormat;
  if (format.type === 'json_schema')
    return {
      type: 'json',
      schema: format.schema,
      name: format.name.replace(/-/g, '_'),
      strict: format.strict === true,
    };
  if (format.type === 'json_object')
    return { type: 'json', schema: { type: 'object' }, name: 'json_object', strict: false };
  return { type: 'text' };
}

function parseText(
  text: string,
  input: ChatInput,
  toolCalls?: readonly ToolCall[],
): ParsedModelJson {
  if (toolCalls?.length) {
    // The calls are the answer; their checks are the calls-offered-tools rule's.
    const read = readToolCalls(toolCalls);
    if (!read.ok) return { ok: false, reason: 'invalid', message: read.message };
    return { ok: true, value: { content: text, toolCalls: read.calls }, repaired: 'none' };
  }
  if (!jsonWanted(input)) {
    return text.length > 0
      ? { ok: true, value: { content: text }, repaired: 'none' }
      : { ok: false, reason: 'empty', message: 'the model answered nothing' };
  }
  // JSON answers are read as leniently as a task's (a fence, prose around it). The model's own
  // text is kept when it is the JSON (what a stream already sent); an extracted one is re-serialised.
  const parsed = parseModelJson(text);
  if (!parsed.ok) return parsed;
  return {
    ...parsed,
    value: { content: parsed.repaired === 'none' ? text : JSON.stringify(parsed.value) },
  };
}

export const chat = defineTask({
  name: CHAT_TASK,
  description:
    'A conversation sent as it is (the OpenAI-compatible endpoint); text or JSON per response_format.',
  input: ChatInput,
  output: ChatOutput,
  prompt: {
    version: 'chat@1',
    system: '',
    render: (input) => input.messages.at(-1)?.content ?? '',
  },
  envelope: { fastMs: 4_000, maxSyncMs: 60_000, hardTimeoutMs: 120_000 },
  route: ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:keel-local-1'],
  fallback: localAnswer,
  // A chat answer is the model's or nothing: no stale or canned answer in its place.
  degrade: [],
  rules: [matchesSchema, callsOfferedTools],
  onFailure: { schema: 're-ask', moderation: 'reject' },
  example: { messages: [{ role: 'user', content: 'Say hello to the support team.' }] },
  conversation: {
    messages: (input): ChatMessage[] => input.messages.map((m) => ({ ...m })),
    responseFormat: responseFormatOf,
    parseText,
    textOf: (output) => output.content,
    toolCallsOf: (output) =>
      output.toolCalls?.map((c) => ({
        id: c.id,
        name: c.name,
        arguments: JSON.stringify(c.arguments),
      })),
    tools: toolsRequest,
    sampling: (input) => ({
      ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
      ...(input.maxTokens !== undefined ? { maxOutputTokens: input.maxTokens } : {}),
    }),
  },
});
