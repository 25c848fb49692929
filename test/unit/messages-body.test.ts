import { describe, expect, it } from 'vitest';
import { parseMessagesBody } from '../../server/chat/messages-body';
import { ProblemError } from '../../server/problem';

const fieldsOf = (body: unknown): string[] => {
  try {
    parseMessagesBody(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return ((err as ProblemError).toProblem('/v1/messages').errors ?? []).map((e) => e.field);
  }
  throw new Error('the body was accepted');
};

describe("Anthropic's Messages body → the chat task's input", () => {
  it('puts the system prompt first and keeps the turns, the token limit and the temperature', () => {
    const call = parseMessagesBody({
      model: 'keel/fast',
      max_tokens: 100,
      system: [
        { type: 'text', text: 'Be ' },
        { type: 'text', text: 'brief.' },
      ],
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
        { role: 'user', content: 'Refund?' },
      ],
      temperature: 0.2,
      stream: true,
      metadata: { user_id: 'u-1' },
    });
    expect(call).toMatchObject({ model: 'keel/fast', stream: true, includeUsage: true });
    expect(call.input.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Refund?' },
    ]);
    expect(call.input).toMatchObject({ maxTokens: 100, temperature: 0.2 });
  });

  it('names each offending field as the caller sent it', () => {
    expect(fieldsOf({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).toEqual([
      'max_tokens',
    ]);
    expect(
      fieldsOf({
        model: 'm',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
        thinking: { type: 'enabled', budget_tokens: 1024 },
        stop_sequences: ['END'],
        frobnicate: 1,
      }).sort(),
    ).toEqual(['frobnicate', 'stop_sequences', 'thinking']);
    expect(
      fieldsOf({
        model: 'm',
        max_tokens: 10,
        messages: [{ role: 'user', content: [{ type: 'image', source: {} }] }],
      })[0],
    ).toMatch(/^messages\.0\.content/);
    // A message over the limit is counted after the system prompt, and named as sent.
    expect(
      fieldsOf({
        model: 'm',
        max_tokens: 10,
        system: 'short',
        messages: [{ role: 'user', content: 'x'.repeat(100_001) }],
      }),
    ).toEqual(['messages.0.content']);
  });
});
