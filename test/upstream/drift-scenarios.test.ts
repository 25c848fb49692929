/** The drift scenarios: `ok` for the first N calls, then the change, over both vendors' wires. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/index';
import { startMockUpstream } from '../mock-upstream/index';
import { anthropic, anthropicParams, openai, openaiParams } from './helpers';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMockUpstream({ driftAfterCalls: 3 });
});
afterAll(async () => {
  await mock?.close();
});

/** N calls of `model` over OpenAI: the finish reason and the parsed answer (if any) of each. */
async function calls(model: string, n: number) {
  const client = openai(mock.url);
  const out: Array<{ finish: string | null; answer?: any }> = [];
  for (let i = 0; i < n; i++) {
    const c = await client.chat.completions.create(openaiParams(model));
    const choice = c.choices[0]!;
    const content = choice.message.content;
    out.push({ finish: choice.finish_reason, ...(content ? { answer: JSON.parse(content) } : {}) });
  }
  return out;
}

describe('drift scenarios (driftAfterCalls: 3)', () => {
  it('drift-refusals: three answers as ok, then every second call refuses', async () => {
    const seen = await calls('drift-refusals', 7);
    expect(seen.map((c) => c.finish)).toEqual([
      'stop',
      'stop',
      'stop',
      'content_filter',
      'stop',
      'content_filter',
      'stop',
    ]);
    expect(seen[4]!.answer.category).toBe('BILLING');
  });

  it('drift-longer: the rationale says it three times after the third call', async () => {
    const seen = await calls('drift-longer', 5);
    const first = seen[0]!.answer.rationale as string;
    expect(seen[2]!.answer.rationale).toBe(first);
    expect(seen[3]!.answer.rationale).toBe(`${first} ${first} ${first}`);
    expect(seen[4]!.answer).toEqual({
      ...seen[0]!.answer,
      rationale: `${first} ${first} ${first}`,
    });
  });

  it('drift-categories: every answer after the third names the next category', async () => {
    const seen = await calls('drift-categories', 6);
    expect(seen.map((c) => c.answer.category)).toEqual([
      'BILLING',
      'BILLING',
      'BILLING',
      'TECHNICAL',
      'TECHNICAL',
      'TECHNICAL',
    ]);
    expect(seen[3]!.answer.confidence).toBe(seen[0]!.answer.confidence);
  });

  it('drift-unfaithful: a promise appended after the third call, which the verifier scores 0.2', async () => {
    const seen = await calls('drift-unfaithful', 5);
    const first = seen[0]!.answer.rationale as string;
    expect(seen[2]!.answer.rationale).toBe(first);
    expect(seen[3]!.answer.rationale).toBe(`${first} — a full refund is guaranteed.`);
    expect(seen[4]!.answer.category).toBe(seen[0]!.answer.category);
  });

  it('counts per scenario; the x-mock-drift-after header moves the change; Anthropic refuses too', async () => {
    const client = anthropic(mock.url);
    const send = (after: string) =>
      client.messages.create(anthropicParams('drift-refusals'), {
        headers: { 'x-mock-drift-after': after },
      });
    // drift-refusals has had 7 calls: with the change moved to 100, the 8th answers as ok.
    expect((await send('100')).stop_reason).toBe('tool_use');
    // The 9th with the change after 0 calls is drifted call 9: odd, a refusal.
    expect((await send('0')).stop_reason).toBe('refusal');
  });
});
