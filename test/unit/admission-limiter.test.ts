import { describe, expect, it } from 'vitest';
import { AdmissionLimiter } from '../../server/admission-limiter';

/** classify-ticket's envelope: 8 s, so the default budget is 0.8 × 8 s = 6.4 s. */
const MAX_SYNC_MS = 8_000;

function setup(options: { waitFraction?: number } = {}) {
  let now = 50_000;
  const limiter = new AdmissionLimiter({
    ...options,
    windowMs: 10_000,
    minSamples: 10,
    now: () => now,
  });
  /** `n` completions, one every ms ÷ n, the first `ms` before now: a rate of n ÷ ms. */
  const finish = (n: number, ms: number) => {
    const start = now - ms;
    const end = now;
    for (let i = 0; i < n; i += 1) {
      now = start + (ms * i) / n;
      limiter.completed();
    }
    now = end;
  };
  return { limiter, finish, advance: (ms: number) => (now += ms) };
}

describe('AdmissionLimiter (Little’s law: expected wait = in flight ÷ completion rate)', () => {
  it('with too few completions to measure a rate, admits whatever the queue (the ceiling alone applies)', () => {
    const t = setup();
    t.finish(9, 5_000);
    expect(t.limiter.rate()).toBeUndefined();
    expect(t.limiter.check(10_000, MAX_SYNC_MS)).toEqual({ admit: true });
    expect(t.limiter.retryAfterAtCeiling(500, 128)).toBe(1);
  });

  it('admits while (in flight + 1) ÷ rate fits 0.8 × maxSyncMs and refuses past it, with Retry-After from the excess', () => {
    const t = setup();
    t.finish(10, 5_000); // 2 tasks/s: 12 finish within 6.4 s
    expect(t.limiter.rate()).toBe(2);
    expect(t.limiter.check(11, MAX_SYNC_MS)).toEqual({ admit: true }); // 12 ÷ 2/s = 6 s
    expect(t.limiter.check(12, MAX_SYNC_MS)).toEqual({
      admit: false,
      expectedWaitMs: 6_500, // 13 ÷ 2/s
      limit: 12,
      retryAfterS: 1, // 1 task over, at 2/s
    });
    const deep = t.limiter.check(59, MAX_SYNC_MS);
    expect(deep).toMatchObject({ admit: false, expectedWaitMs: 30_000, retryAfterS: 24 }); // 48 over ÷ 2/s
  });

  it('a longer envelope admits a deeper queue at the same rate', () => {
    const t = setup();
    t.finish(10, 5_000);
    expect(t.limiter.check(23, MAX_SYNC_MS).admit).toBe(false); // 12 s > 6.4 s
    expect(t.limiter.check(23, 15_000).admit).toBe(true); // 12 s ≤ 0.8 × 15 s
  });

  it('the rate falls while nothing finishes, and without completions in the window there is none', () => {
    const t = setup();
    t.finish(20, 2_000); // a burst: 10/s
    expect(t.limiter.rate()).toBe(10);
    expect(t.limiter.check(40, MAX_SYNC_MS).admit).toBe(true); // 4.1 s
    t.advance(4_000); // stalled: 20 in 6 s
    expect(t.limiter.rate()).toBeCloseTo(20 / 6);
    expect(t.limiter.check(40, MAX_SYNC_MS).admit).toBe(false); // 41 ÷ 3.33/s = 12.3 s
    t.advance(6_001); // the burst has left the 10 s window
    expect(t.limiter.rate()).toBeUndefined();
  });

  it('a handful of completions in one instant is not read as a huge rate (a span of at least 1 s)', () => {
    const t = setup();
    t.finish(10, 10);
    expect(t.limiter.rate()).toBe(10);
  });

  it('Retry-After at the ceiling is the time to finish what is over it, capped at 60 s', () => {
    const t = setup();
    t.finish(10, 5_000);
    expect(t.limiter.retryAfterAtCeiling(128, 128)).toBe(1);
    expect(t.limiter.retryAfterAtCeiling(135, 128)).toBe(4); // 8 over ÷ 2/s
    expect(t.limiter.retryAfterAtCeiling(10_000, 128)).toBe(60);
  });

  it('fraction 0 turns it off, and a request that does not wait (maxSyncMs 0) is not its business', () => {
    const off = setup({ waitFraction: 0 });
    off.finish(10, 5_000);
    expect(off.limiter.check(1_000, MAX_SYNC_MS)).toEqual({ admit: true });
    const on = setup();
    on.finish(10, 5_000);
    expect(on.limiter.check(1_000, 0)).toEqual({ admit: true });
  });
});
