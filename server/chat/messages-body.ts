import { z } from 'zod';
import { toFieldErrors } from '../../shared/contracts/errors';
import { CHAT_LIMITS, ChatInput } from '../../shared/tasks/chat';
import { invalidRequest } from '../problem';
import { bodyFieldErrors, type ChatCall } from './chat-body';

/**
 * The body of `POST /v1/messages`, as Anthropic's Messages API takes it: text and tools (`tools`,
 * `tool_choice`, `tool_use` and `tool_result` blocks). What Keel does not do yet (extended
 * thinking, stop sequences, images and documents, server tools) is refused by name rather than
 * ignored; `top_p`, `top_k` and `service_tier` are accepted and not passed on.
 * docs/chat-completions.md#anthropic-messages.
 */
const NOT_YET = 'not supported by Keel yet (docs/chat-completions.md#not-yet)';

const TextBlock = z
  .object({
    type: z.literal('text', { error: `only text blocks; other blocks are ${NOT_YET}` }),
    text: z.string(),
    cache_control: z.unknown().optional(),
    citations: z.unknown().optional(),
  })
  .strict();

const Content = z.union([z.string(), z.array(TextBlock).min(1)]);

const ToolUseBlock = z
  .object({
    type: z.literal('tool_use'),
    id: z.string(),
    name: z.string(),
    input: z.record(z.string(), z.unknown()),
    cache_control: z.unknown().optional(),
  })
  .strict();

const ToolResultBlock = z
  .object({
    type: z.literal('tool_result'),
    tool_use_id: z.string(),
    content: Content.optional(),
    is_error: z.boolean().optional(),
    cache_control: z.unknown().optional(),
  })
  .strict();

/** A block of a turn: `type` decides which, and an unknown type names the types Keel takes. */
const Block = z.discriminatedUnion('type', [TextBlock, ToolUseBlock, ToolResultBlock], {
  error: `only text, tool_use and tool_result blocks; other blocks are ${NOT_YET}`,
});

const Message = z
  .object({
    role: z.enum(['user', 'assistant']),
    content: z.union([z.string(), z.array(Block).min(1)]),
  })
  .strict();

const Tool = z
  .object({
    type: z
      .literal('custom', { error: `only custom tools; server tools are ${NOT_YET}` })
      .optional(),
    name: z.string(),
    description: z.string().optional(),
    input_schema: z.record(z.string(), z.unknown()),
    cache_control: z.unknown().optional(),
  })
  .strict();

const parallel = { disable_parallel_tool_use: z.boolean().optional() };
const ToolChoice = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), ...parallel }).strict(),
  z.object({ type: z.literal('any'), ...parallel }).strict(),
  z.object({ type: z.literal('tool'), name: z.string(), ...parallel }).strict(),
  z.object({ type: z.literal('none') }).strict(),
]);

export const MessagesBody = z
  .object({
    model: z.string().min(1).max(200),
    max_tokens: z.number().int().min(1).max(CHAT_LIMITS.maxTokens),
    messages: z.array(Message).min(1),
    system: Content.optional(),
    temperature: z.number().min(0).max(1).optional(),
    stream: z.boolean().optional(),
    metadata: z
      .object({ user_id: z.string().max(256).nullish() })
      .strict()
      .optional(),
    top_p: z.number().optional(),
    top_k: z.number().int().optional(),
    service_tier: z.string().optional(),
    tools: z.array(Tool).optional(),
    tool_choice: ToolChoice.optional(),
    thinking: z.never({ error: NOT_YET }).optional(),
    stop_sequences: z.never({ error: NOT_YET }).optional(),
    mcp_servers: z.never({ error: NOT_YET }).optional(),
    container: z.never({ error: NOT_YET }).optional(),
  })
  .strict();
export type MessagesBody = z.output<typeof MessagesBody>;

const textOf = (content: z.output<typeof Content> | undefined): string =>
  content === undefined
    ? ''
    : typeof content === 'string'
      ? content
      : content.map((b) => b.text).join('');

type WireMessage = z.output<typeof Message>;
type Turn = ChatInput['messages'][number];

/**
 * One wire turn as the chat task's turns: a user turn's `tool_result` blocks become `tool` turns
 * (first, as Anthropic puts them) and its text a user turn; an assistant's `tool_use` blocks its
 * tool calls. A failed tool's result (`is_error`) keeps its text, marked `[tool error]`.
 */
function turnsOf(m: WireMessage): Turn[] {
  if (typeof m.content === 'string') return [{ role: m.role, content: m.content }];
  const text = m.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
  if (m.role === 'assistant') {
    const calls = m.content.flatMap((b) =>
      b.type === 'tool_use' ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input) }] : [],
    );
    return [{ role: 'assistant', content: text, ...(calls.length ? { toolCalls: calls } : {}) }];
  }
  const results = m.content.flatMap((b): Turn[] =>
    b.type === 'tool_result'
      ? [
          {
            role: 'tool',
            content: (b.is_error ? '[tool error] ' : '') + textOf(b.content),
            toolCallId: b.tool_use_id,
          },
        ]
      : [],
  );
  return results.length && !text ? results : [...results, { role: 'user', content: text }];
}

type WireToolChoice = z.output<typeof ToolChoice>;

const toolChoiceOf = (c: WireToolChoice): ChatInput['toolChoice'] =>
  c.type === 'any' ? 'required' : c.type === 'tool' ? { name: c.name } : c.type;

/** Checks the body and turns it into the chat task's input; a 400 names each offending field. */
export function parseMessagesBody(body: unknown): ChatCall {
  const parsed = MessagesBody.safeParse(body);
  if (!parsed.success) {
    throw invalidRequest(
      'The body is not a Messages request Keel serves.',
      bodyFieldErrors(parsed.error),
    );
  }
  const b = parsed.data;
  // Where each of the task's turns came from on the wire, to name a field the caller sent.
  const origins: string[] = [];
  const messages: Turn[] = [];
  if (b.system !== undefined) {
    messages.push({ role: 'system', content: textOf(b.system) });
    origins.push('system');
  }
  b.messages.forEach((m, i) =>
    turnsOf(m).forEach((t) => {
      messages.push(t);
      origins.push(`messages.${i}`);
    }),
  );
  const choice = b.tool_choice;
  const candidate = {
    messages,
    maxTokens: b.max_tokens,
    ...(b.temperature !== undefined ? { temperature: b.temperature } : {}),
    ...(b.tools
      ? {
          tools: b.tools.map((t) => ({
            name: t.name,
            ...(t.description !== undefined ? { description: t.description } : {}),
            parameters: t.input_schema,
          })),
        }
      : {}),
    ...(choice ? { toolChoice: toolChoiceOf(choice) } : {}),
    ...(choice && 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use
      ? { parallelToolCalls: false }
      : {}),
  };
  const input = ChatInput.safeParse(candidate);
  if (!input.success) {
    throw invalidRequest(
      'The request is outside what Keel accepts (docs/chat-completions.md#limits).',
      toFieldErrors(input.error.issues).map((e) => ({ ...e, field: wireField(e.field, origins) })),
    );
  }
  return { model: b.model, input: input.data, stream: b.stream === true, includeUsage: true };
}

/**
 * The chat task's field as the caller named it: the system prompt is not one of `messages`, a
 * turn may have become several (tool results), a tool's `parameters` is its `input_schema`.
 */
function wireField(field: string, origins: readonly string[]): string {
  const m = /^messages\.(\d+)(.*)$/.exec(field);
  if (m) {
    const origin = origins[Number(m[1])] ?? 'messages';
    const rest = m[2]!.startsWith('.content') || m[2]!.startsWith('.tool') ? '.content' : m[2]!;
    return origin === 'system' ? `system${rest.replace(/^\.content/, '')}` : `${origin}${rest}`;
  }
  return field
    .replace(/^maxTokens/, 'max_tokens')
    .replace(/^tools\.(\d+)\.parameters/, 'tools.$1.input_schema')
    .replace(/^toolChoice/, 'tool_choice');
}
