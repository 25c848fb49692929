import { z } from 'zod';
import { toFieldErrors } from '../../shared/contracts/errors';
import { CHAT_LIMITS, ChatInput } from '../../shared/tasks/chat';
import { invalidRequest } from '../problem';
import { bodyFieldErrors, type ChatCall } from './chat-body';

/**
 * The body of `POST /v1/messages`, as Anthropic's Messages API takes it. Text only: what Keel
 * does not do yet (tools, extended thinking, stop sequences, images and documents) is refused by
 * name rather than ignored; `top_p`, `top_k` and `service_tier` are accepted and not passed on.
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

const Message = z.object({ role: z.enum(['user', 'assistant']), content: Content }).strict();

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
    tools: z.never({ error: NOT_YET }).optional(),
    tool_choice: z.never({ error: NOT_YET }).optional(),
    thinking: z.never({ error: NOT_YET }).optional(),
    stop_sequences: z.never({ error: NOT_YET }).optional(),
    mcp_servers: z.never({ error: NOT_YET }).optional(),
    container: z.never({ error: NOT_YET }).optional(),
  })
  .strict();
export type MessagesBody = z.output<typeof MessagesBody>;

const textOf = (content: z.output<typeof Content>): string =>
  typeof content === 'string' ? content : content.map((b) => b.text).join('');

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
  const candidate = {
    messages: [
      ...(b.system !== undefined ? [{ role: 'system' as const, content: textOf(b.system) }] : []),
      ...b.messages.map((m) => ({ role: m.role, content: textOf(m.content) })),
    ],
    maxTokens: b.max_tokens,
    ...(b.temperature !== undefined ? { temperature: b.temperature } : {}),
  };
  const input = ChatInput.safeParse(candidate);
  if (!input.success) {
    const offset = b.system !== undefined ? 1 : 0;
    throw invalidRequest(
      'The request is outside what Keel accepts (docs/chat-completions.md#limits).',
      toFieldErrors(input.error.issues).map((e) => ({ ...e, field: wireField(e.field, offset) })),
    );
  }
  return { model: b.model, input: input.data, stream: b.stream === true, includeUsage: true };
}

/** The chat task's field as the caller named it: the system prompt is not one of `messages`. */
function wireField(field: string, offset: number): string {
  const m = /^messages\.(\d+)(.*)$/.exec(field);
  if (m && offset) {
    const i = Number(m[1]) - offset;
    return i < 0 ? `system${m[2]!.replace(/^\.content/, '')}` : `messages.${i}${m[2]}`;
  }
  return field.replace(/^maxTokens/, 'max_tokens');
}
