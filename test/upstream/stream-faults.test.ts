/**
 * Broken transports through both SDKs. The assertions pin down what each SDK actually does, since
 * that (not what one would hope) is what Keel's retry and validation logic has to handle.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Attempt, MockUpstream } from '../mock-upstream/index';
import { startMockUpstream } from '../mock-upstream/index';
import { anthropic, anthropicParams, openai, openaiParams, rejection } from './helpers';

const TTFT_MS = 300;
let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMockUpstream({ ttftMs: TTFT_MS });
});
afterAll(() => mock.close());
beforeEach(() => mock.clearAttempts());

/** Drains an OpenAI stream; returns the text, last finish_reason and the error if it threw. */
async function drainOpenAI(
  model: string,
  signal?: AbortSignal,
  url = mock.url,
): Promise<{ text: string; finish: string | null; error?: unknown }> {
  const stream = await openai(url).chat.completions.create(
    { ...openaiParams(model), stream: true },
    { signal },
  );
  let text = '';
  let finish: string | null = null;
  try {
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
  } catch (error) {
    return { text, finish, error };
  }
  return { text, finish };
}

describe('openai streams', () => {
  it('stream-cut: iteration throws (a raw TypeError "terminated", not an APIError)', async () => {
    const { text, finish, error } = await drainOpenAI('stream-cut');
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBeNull();
    // Output was produced before the cut, so a vendor bills it.
    expect(mock.attempts()[0]).toMatchObject({ status: 200, billed: true, stream: true });
  });

  it('malformed-chunk: iteration throws a SyntaxError', async () => {
    const { error } = await drainOpenAI('malformed-chunk');
    expect(error).toBeInstanceOf(SyntaxError);
  });

  it('no-done: the SDK does not require [DONE]; iteration ends normally with finish_reason stop', async () => {
    const { text, finish, error } = await drainOpenAI('no-done');
    expect(error).toBeUndefined();
    expect(finish).toBe('stop');
    expect(JSON.parse(text).category).toBe('BILLING');
  });

  it('stream-stall: aborting ends iteration silently, with no finish_reason', async () => {
    const { finish, error } = await drainOpenAI('stream-stall', AbortSignal.timeout(300));
    // The SDK swallows transport aborts mid-stream: only the missing finish_reason tells.
    expect(error).toBeUndefined();
    expect(finish).toBeNull();
  });

  it('slow-ttft: the first chunk arrives no sooner than ttftMs', async () => {
    const started = performance.now();
    const stream = await openai(mock.url).chat.completions.create({
      ...openaiParams('slow-ttft'),
      stream: true,
    });
    for await (const _chunk of stream) break;
    expect(performance.now() - started).toBeGreaterThanOrEqual(TTFT_MS - 5);
  });
});

describe('anthropic streams', () => {
  const stream = (
    model: string,
    signal?: AbortSignal,
  ): ReturnType<Anthropic['messages']['stream']> =>
    anthropic(mock.url).messages.stream(anthropicParams(model), { signal });

  it('stream-cut: finalMessage() rejects with AnthropicError "terminated"', async () => {
    const error = await rejection(stream('stream-cut').finalMessage());
    expect(error).toBeInstanceOf(Anthropic.AnthropicError);
    expect(error.message).toMatch(/terminated/);
    expect(mock.attempts()[0]).toMatchObject({ status: 200, billed: true });
    expect(mock.attempts()[0]?.outputTokens).toBeGreaterThan(0);
  });

  it('malformed-chunk: finalMessage() rejects', async () => {
    const error = await rejection(stream('malformed-chunk').finalMessage());
    expect(error).toBeInstanceOf(Anthropic.AnthropicError);
  });

  it('no-done: finalMessage() rejects, but raw iteration just ends after message_delta', async () => {
    const error = await rejection(stream('no-done').finalMessage());
    expect(error.message).toMatch(/stream ended without producing a Message/);
    const raw = await anthropic(mock.url).messages.create({
      ...anthropicParams('no-done'),
      stream: true,
    });
    const types: string[] = [];
    for await (const event of raw) types.push(event.type);
    expect(types.at(-1)).toBe('message_delta');
    expect(types).not.toContain('message_stop');
  });

  it('stream-stall: aborting rejects finalMessage() with APIUserAbortError', async () => {
    const error = await rejection(stream('stream-stall', AbortSignal.timeout(300)).finalMessage());
    expect(error).toBeInstanceOf(Anthropic.APIUserAbortError);
    expect(mock.attempts()[0]).toMatchObject({ status: 200, billed: true });
  });

  it('slow-ttft: the first event arrives no sooner than ttftMs', async () => {
    const started = performance.now();
    const first = await new Promise<number>((resolve, reject) => {
      const s = stream('slow-ttft');
      s.on('streamEvent', () => resolve(performance.now()));
      s.on('error', reject);
    });
    expect(first - started).toBeGreaterThanOrEqual(TTFT_MS - 5);
  });
});

describe('stream scenarios without stream: true', () => {
  it('stream-cut: the body is cut; both SDKs surface a raw TypeError', async () => {
    const a = await rejection(openai(mock.url).chat.completions.create(openaiParams('stream-cut')));
    const b = await rejection(anthropic(mock.url).messages.create(anthropicParams('stream-cut')));
    expect(a).toBeInstanceOf(TypeError);
    expect(b).toBeInstanceOf(TypeError);
  });

  it('malformed-chunk: a 200 whose body is not JSON; both SDKs throw SyntaxError', async () => {
    const a = await rejection(
      openai(mock.url).chat.completions.create(openaiParams('malformed-chunk')),
    );
    const b = await rejection(
      anthropic(mock.url).messages.create(anthropicParams('malformed-chunk')),
    );
    expect(a).toBeInstanceOf(SyntaxError);
    expect(b).toBeInstanceOf(SyntaxError);
  });

  it('stream-stall: both SDK timeouts stop at the headers; only the caller signal ends the body', async () => {
    // openai@6 (the newest major for Node 20) times out the headers only, as Anthropic does: Keel
    // passes both SDKs a signal combined with the deadline (activities/models/providers/request-options).
    for (const call of [
      (signal: AbortSignal) =>
        openai(mock.url, 300).chat.completions.create(openaiParams('stream-stall'), { signal }),
      (signal: AbortSignal) =>
        anthropic(mock.url, 300).messages.create(anthropicParams('stream-stall'), { signal }),
    ]) {
      const started = performance.now();
      const error = await rejection(call(AbortSignal.timeout(700)));
      expect(error.name).toBe('AbortError');
      expect(performance.now() - started).toBeGreaterThanOrEqual(650);
    }
  });

  it('slow-ttft and no-done still answer correctly', async () => {
    const started = performance.now();
    const slow = await openai(mock.url).chat.completions.create(openaiParams('slow-ttft'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(TTFT_MS - 5);
    expect(JSON.parse(slow.choices[0]?.message.content ?? '').category).toBe('BILLING');
    const done = await anthropic(mock.url).messages.create(anthropicParams('no-done'));
    expect(done.stop_reason).toBe('tool_use');
  });
});

describe('slow bodies: trickle and stall-midway', () => {
  let slow: MockUpstream;
  beforeAll(async () => {
    slow = await startMockUpstream({ trickleMs: 600 });
  });
  afterAll(() => slow.close());
  beforeEach(() => slow.clearAttempts());

  /** The exchange's log entry once the upstream has seen it end (a close arrives just after). */
  async function ended(): Promise<Attempt> {
    for (let i = 0; i < 100; i++) {
      const attempt = slow.attempts()[0];
      if (attempt && attempt.latencyMs > 0) return attempt;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the exchange never ended');
  }

  it('trickle: both SDKs get the headers while the body is still arriving, then the whole answer', async () => {
    const started = await openai(slow.url)
      .chat.completions.create(openaiParams('trickle'), {})
      .asResponse();
    // The SDK has the response while the upstream is still sending: the exchange is open.
    expect(started.status).toBe(200);
    expect(slow.attempts()[0]).toMatchObject({ scenario: 'trickle', latencyMs: 0 });
    expect(JSON.parse(await started.text()).choices[0].message.content).toContain('BILLING');
    const message = await anthropic(slow.url).messages.create(anthropicParams('trickle'));
    expect(message.content[0]).toMatchObject({ type: 'tool_use', input: { category: 'BILLING' } });
    const streamed = await drainOpenAI('trickle', undefined, slow.url);
    expect(streamed.error).toBeUndefined();
    expect(JSON.parse(streamed.text).category).toBe('BILLING');
    expect(slow.attempts().map((a) => [a.status, a.stream, a.closedBy])).toEqual([
      [200, false, undefined],
      [200, false, undefined],
      [200, true, undefined],
    ]);
  });

  it('stall-midway: only the caller signal ends it; the upstream sees the client hang up', async () => {
    const error = await rejection(
      anthropic(slow.url, 300).messages.create(anthropicParams('stall-midway'), {
        signal: AbortSignal.timeout(500),
      }),
    );
    expect(error.name).toBe('AbortError');
    expect(await ended()).toMatchObject({ status: 200, billed: true, closedBy: 'client' });
    slow.clearAttempts();
    const streamed = await drainOpenAI('stall-midway', AbortSignal.timeout(500), slow.url);
    // Cut inside a frame: the SDK holds the partial line and, aborted, ends without a finish.
    expect(streamed.finish).toBeNull();
    expect(await ended()).toMatchObject({ stream: true, closedBy: 'client' });
  });
});
