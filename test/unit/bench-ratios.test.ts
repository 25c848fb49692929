import { describe, expect, it } from 'vitest';
import { addedLatency, goodput, ratioOf, refusals, roundStats } from '../../bench/lib/ratios';
import type { Outcome } from '../../bench/lib/systems';

describe('added latency from interleaved rounds', () => {
  it('p50: the median over rounds of the paired round-median differences', () => {
    const keel = [
      [20, 22, 24],
      [40, 41, 42],
      [30, 31, 90],
    ];
    const direct = [
      [5, 6, 7],
      [20, 21, 22],
      [10, 11, 12],
    ];
    // Round medians: keel 22, 41, 31; direct 6, 21, 11 → differences 16, 20, 20.
    expect(addedLatency(keel, direct)).toEqual({ p50: 20, p99: 90 - 22 });
  });

  it('skips a round one side has no samples in', () => {
    expect(addedLatency([[30], [], [50]], [[10], [10], [20]]).p50).toBe(20);
  });

  it('round stats: p50 of round medians, the tail pooled', () => {
    const s = roundStats([[10, 11, 12], [30, 31, 32], [20, 21, 99], []]);
    expect(s).toMatchObject({ n: 9, p50: 21, p99: 99, max: 99 });
  });
});

describe('goodput', () => {
  it('compares what was answered with what the system could answer at that rate', () => {
    // Offered 50/s, capacity 40/s: 36/s answered is 0.9 of what was possible.
    expect(goodput(36, 50, 40)).toEqual({ capacityPerSec: 40, vsCapacity: 0.9, vsExpected: 0.9 });
    // Offered below capacity: the yardstick is the offered rate.
    expect(goodput(19, 20, 40)).toEqual({ capacityPerSec: 40, vsCapacity: 0.48, vsExpected: 0.95 });
  });

  it('has no ratio without a capacity', () => {
    expect(goodput(10, 50, 0)).toMatchObject({ vsCapacity: null, vsExpected: null });
    expect(ratioOf(1, undefined)).toBeNull();
    expect(ratioOf(Number.NaN, 2)).toBeNull();
  });
});

describe('refusals', () => {
  const o = (partial: Partial<Outcome>): Outcome => ({ ok: false, ms: 1, ...partial });

  it('counts errors that were 503 with Retry-After, and how fast they came back', () => {
    const r = refusals(
      [
        o({ ok: true, ms: 80 }),
        o({ status: 503, retryAfter: '1', ms: 3 }),
        o({ status: 503, retryAfter: '1', ms: 5 }),
        o({ status: 503, ms: 4 }), // no Retry-After: not a proper refusal
        o({ status: 500, retryAfter: '1', ms: 9 }),
        o({ error: 'TimeoutError', ms: 15_000 }),
      ],
      1,
    );
    expect(r).toMatchObject({ errors: 6, refused503WithRetryAfter: 2, share: 0.33 });
    expect(r.latency).toMatchObject({ n: 2, p50: 3, max: 5 });
    expect(r.byKind).toEqual({
      dropped: 1,
      '503 + Retry-After': 2,
      '503': 1,
      '500 + Retry-After': 1,
      TimeoutError: 1,
    });
  });

  it('no errors: no share', () => {
    expect(refusals([o({ ok: true })], 0)).toMatchObject({ errors: 0, share: null });
  });
});
