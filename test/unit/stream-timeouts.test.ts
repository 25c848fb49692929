import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelStreamPart } from '../../activities/models/providers/model-provider';
import {
  STREAM_TIMEOUT_RULES,
  streamTimeoutsMs,
  withStreamTimeouts,
} from '../../activities/models/providers/stream-timeouts';

const delta = (text: string): ModelStreamPart => ({ type: 'text-delta', delta: text });
const FINISH: ModelStreamPart = {
  type: 'finish',
  finishReason: 'stop',
  usage: { inputTokens: 3, outputTokens: 2, cachedInputTokens: 0 },
  model: 'm',
};

/**
 * A provider stream the test drives by hand: `script` says, per part, after how many ms it arrives
 * (`Infinity`: never, the stall of a socket left open). Like the vendor SDKs, a pending `next()`
 * rejects when `abort` is called (the HTTP request aborted), and `return()` is recorded.
 */
function scripted(script: ReadonlyArray<[delayMs: number, part: ModelStreamPart]>) {
  const controller = new AbortController();
  const calls = { next: 0, return: 0 };
  let index = 0;
  const iterator: AsyncIterator<ModelStreamPart> = {
    next: () => {
      calls.next += 1;
      const step = script[index++];
      if (!step) return Promise.resolve({ done: true, value: undefined });
      const [delayMs, part] = step;
      return new Promise((resolve, reject) => {
        const timer =
          delayMs === Infinity
            ? undefined
            : setTimeout(() => resolve({ done: false, value: part }), delayMs);
        controller.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        });
      });
    },
    return: () => {
      calls.return += 1;
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  return {
    parts: { [Symbol.asyncIterator]: () => iterator },
    calls,
    abort: () => controller.abort(),
  };
}

/** Drains a stream, advancing fake time as it waits; returns the parts and the error, if any. */
async function drain(
  parts: AsyncIterable<ModelStreamPart>,
  perPartMs = 0,
): Promise<{ parts: ModelStreamPart[]; error?: unknown }> {
  const seen: ModelStreamPart[] = [];
  const run = (async () => {
    for await (const part of parts) {
      seen.push(part);
      // A slow consumer: this time is not the provider's and must not count as a stall.
      if (perPartMs) await new Promise((r) => setTimeout(r, perPartMs));
    }
  })();
  const outcome = run.then(
    () => ({ parts: seen }),
    (error: unknown) => ({ parts: seen, error }),
  );
  // Step fake time one timer at a time and stop once the stream ends, so a timer it leaves
  // behind is still pending for the test to see.
  let ended = false;
  void outcome.then(() => (ended = true));
  for (let steps = 0; !ended; steps++) {
    if (steps > 1_000) throw new Error('the stream never ended');
    await vi.advanceTimersToNextTimerAsync();
  }
  return outcome;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('withStreamTimeouts', () => {
  it('passes a healthy stream through untouched and leaves no timer behind', async () => {
    const script: Array<[number, ModelStreamPart]> = [
      [300, delta('Hello')],
      [40, delta(', ')],
      [40, delta('world')],
      [10, FINISH],
    ];
    const upstream = scripted(script);
    const onTimeout = vi.fn();
    const result = await drain(
      withStreamTimeouts(upstream.parts, { firstTokenMs: 1_000, stallMs: 500, onTimeout }),
    );
    expect(result.error).toBeUndefined();
    expect(result.parts).toEqual(script.map(([, part]) => part));
    expect(result.parts[3]).toBe(FINISH); // the same objects, not copies
    expect(onTimeout).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('throws a Timeout when the first token is late, aborts the request and drops the stream', async () => {
    const upstream = scripted([
      [5_000, delta('late')],
      [10, FINISH],
    ]);
    const onTimeout = vi.fn(upstream.abort);
    const result = await drain(
      withStreamTimeouts(upstream.parts, { firstTokenMs: 1_000, stallMs: 500, onTimeout }),
    );
    expect(result.parts).toEqual([]);
    expect(result.error).toMatchObject({
      name: 'ProviderFailure',
      type: 'Timeout',
      message: 'no first token within 1000 ms',
    });
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(upstream.calls.return).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('throws a Timeout when the stream stalls midway, after the parts that did arrive', async () => {
    const upstream = scripted([
      [100, delta('{"a":')],
      [50, delta('1')],
      [Infinity, delta('}')],
    ]);
    const onTimeout = vi.fn(upstream.abort);
    const result = await drain(
      withStreamTimeouts(upstream.parts, { firstTokenMs: 1_000, stallMs: 500, onTimeout }),
    );
    expect(result.parts).toEqual([delta('{"a":'), delta('1')]);
    expect(result.error).toMatchObject({ type: 'Timeout', message: 'stream stalled 500 ms' });
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(upstream.calls.return).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts only the wait on the provider: a slow consumer is not a stall', async () => {
    const upstream = scripted([
      [100, delta('a')],
      [400, delta('b')],
      [400, FINISH],
    ]);
    const result = await drain(
      withStreamTimeouts(upstream.parts, { firstTokenMs: 1_000, stallMs: 500 }),
      2_000,
    );
    expect(result.error).toBeUndefined();
    expect(result.parts).toHaveLength(3);
  });

  it('passes the provider’s own error through, unchanged, without calling onTimeout', async () => {
    const cut = new TypeError('terminated');
    const parts: AsyncIterable<ModelStreamPart> = {
      [Symbol.asyncIterator]: () => {
        let sent = false;
        return {
          next: () => {
            if (sent) return Promise.reject(cut);
            sent = true;
            return Promise.resolve({ done: false, value: delta('half') });
          },
        };
      },
    };
    const onTimeout = vi.fn();
    const result = await drain(
      withStreamTimeouts(parts, { firstTokenMs: 1_000, stallMs: 500, onTimeout }),
    );
    expect(result.parts).toEqual([delta('half')]);
    expect(result.error).toBe(cut);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('releases the provider’s stream when the consumer stops early', async () => {
    const upstream = scripted([
      [10, delta('a')],
      [10, delta('b')],
      [10, FINISH],
    ]);
    const run = (async () => {
      for await (const part of withStreamTimeouts(upstream.parts, {
        firstTokenMs: 1_000,
        stallMs: 500,
      })) {
        if (part.type === 'text-delta') break;
      }
    })();
    await vi.advanceTimersByTimeAsync(10);
    await run;
    expect(upstream.calls).toEqual({ next: 1, return: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends the wait when its signal aborts, without calling onTimeout', async () => {
    const upstream = scripted([[Infinity, delta('never')]]);
    const cancel = new AbortController();
    const onTimeout = vi.fn();
    setTimeout(() => cancel.abort(), 200);
    const result = await drain(
      withStreamTimeouts(upstream.parts, {
        firstTokenMs: 1_000,
        stallMs: 500,
        signal: cancel.signal,
        onTimeout,
      }),
    );
    expect(result.error).toMatchObject({
      type: 'Timeout',
      message: 'stream aborted before the model finished',
    });
    expect(onTimeout).not.toHaveBeenCalled();
    expect(upstream.calls.return).toBe(1);
    upstream.abort(); // what the provider's own signal does: its pending next() rejects, unseen
    await Promise.resolve();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('streamTimeoutsMs', () => {
  it('takes half the call timeout for the first token and a quarter for a stall', () => {
    expect(streamTimeoutsMs({ callTimeoutMs: 12_000 })).toEqual({
      firstTokenMs: 6_000,
      stallMs: 3_000,
    });
  });

  it('keeps both within their bounds', () => {
    const { firstToken, stall } = STREAM_TIMEOUT_RULES;
    expect(streamTimeoutsMs({ callTimeoutMs: 120_000 })).toEqual({
      firstTokenMs: firstToken.maxMs,
      stallMs: stall.maxMs,
    });
    expect(streamTimeoutsMs({ callTimeoutMs: 3_000 })).toEqual({
      firstTokenMs: 1_500,
      stallMs: stall.minMs,
    });
  });

  it('never exceeds the call timeout itself', () => {
    expect(streamTimeoutsMs({ callTimeoutMs: 800 })).toEqual({ firstTokenMs: 800, stallMs: 800 });
  });

  it('follows the adaptive call timeout: a slower model gets longer stream timeouts', () => {
    const fast = streamTimeoutsMs({ callTimeoutMs: 4_000 });
    const slow = streamTimeoutsMs({ callTimeoutMs: 20_000 });
    expect(slow.firstTokenMs).toBeGreaterThan(fast.firstTokenMs);
    expect(slow.stallMs).toBeGreaterThan(fast.stallMs);
  });
});
