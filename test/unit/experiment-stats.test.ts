import { describe, expect, it } from 'vitest';
import {
  compareAnswers,
  experimentStats,
  meanInterval,
  MIN_SAMPLES,
  sampled,
  wilson,
  type ComparisonRow,
} from '../../shared/observability/experiment-stats';

describe('shadow sampling', () => {
  it('is decided by the ids alone, at about the rate, independently per experiment', () => {
    const jobs = Array.from({ length: 20_000 }, (_, i) => `classify-ticket-${i}`);
    const a = jobs.filter((j) => sampled('exp-a', j, 0.1));
    const b = jobs.filter((j) => sampled('exp-b', j, 0.1));
    expect(a.length / jobs.length).toBeGreaterThan(0.09);
    expect(a.length / jobs.length).toBeLessThan(0.11);
    // The same question gets the same answer (every replica, a retried activity).
    expect(jobs.filter((j) => sampled('exp-a', j, 0.1))).toEqual(a);
    // Two experiments do not pick the same jobs.
    const both = a.filter((j) => b.includes(j)).length;
    expect(both / a.length).toBeLessThan(0.2);
    expect(jobs.every((j) => sampled('x', j, 1))).toBe(true);
    expect(jobs.some((j) => sampled('x', j, 0))).toBe(false);
  });
});

describe('comparing answers', () => {
  it('names the fields that differ and whether the enum field agrees', () => {
    const live = { category: 'BILLING', confidence: 0.9, rationale: 'a' };
    expect(compareAnswers(live, { ...live }, 'category')).toEqual({
      agree: true,
      fields: ['category', 'confidence', 'rationale'],
      diffFields: [],
    });
    expect(
      compareAnswers(live, { category: 'OTHER', confidence: 0.9, rationale: 'b' }, 'category'),
    ).toEqual({
      agree: false,
      fields: ['category', 'confidence', 'rationale'],
      diffFields: ['category', 'rationale'],
    });
    expect(compareAnswers({ summary: 'x' }, { summary: 'y' }, undefined).agree).toBeNull();
    expect(compareAnswers(live, undefined, 'category')).toEqual({
      agree: null,
      fields: [],
      diffFields: [],
    });
  });
});

describe('intervals', () => {
  it('Wilson: the textbook values, bounded to [0, 1], empty without trials', () => {
    // 8 of 10: 0.490–0.943 (Wilson 1927; Newcombe 1998, table I).
    const w = wilson(8, 10);
    expect(w.rate).toBe(0.8);
    expect(w.low).toBeCloseTo(0.4902, 3);
    expect(w.high).toBeCloseTo(0.9433, 3);
    expect(wilson(0, 20).low).toBe(0);
    expect(wilson(20, 20).high).toBe(1);
    expect(wilson(20, 20).low).toBeCloseTo(0.8389, 3);
    expect(wilson(0, 0)).toEqual({ rate: null, n: 0, low: null, high: null });
  });

  it('mean of paired deltas: ± 1.96 s/√n', () => {
    const m = meanInterval([1, 2, 3, 4, 5]);
    expect(m.mean).toBe(3);
    // s = √2.5, half-width 1.96 · √(2.5/5)
    expect(m.high! - m.mean!).toBeCloseTo(1.959964 * Math.sqrt(0.5), 6);
    expect(meanInterval([7])).toEqual({ mean: 7, n: 1, low: null, high: null });
  });
});

describe('experiment statistics', () => {
  it('match and pass rates, field diffs and deltas from the rows', () => {
    const row = (over: Partial<ComparisonRow>): ComparisonRow => ({
      shadowValid: true,
      agree: true,
      fields: ['category', 'confidence'],
      diffFields: [],
      liveLatencyMs: 100,
      shadowLatencyMs: 150,
      liveCostMicros: 0,
      shadowCostMicros: 2_000,
      ...over,
    });
    const rows = [
      ...Array.from({ length: 30 }, () => row({})),
      ...Array.from({ length: 10 }, () =>
        row({ agree: false, diffFields: ['category', 'confidence'] }),
      ),
      row({ shadowValid: false, agree: null, fields: [], diffFields: [] }),
    ];
    const s = experimentStats(rows);
    expect(s.n).toBe(41);
    expect(s.enoughSamples).toBe(41 >= MIN_SAMPLES);
    expect(s.enumMatch.n).toBe(40);
    expect(s.enumMatch.rate).toBe(0.75);
    expect(s.enumMatch.low!).toBeLessThan(0.75);
    expect(s.validationPass.rate).toBeCloseTo(40 / 41, 10);
    expect(s.fieldDiffs.category!.rate).toBe(0.25);
    expect(s.latencyDeltaMs.mean).toBe(50);
    expect(s.costDeltaUsd.mean).toBeCloseTo(0.002, 10);
    expect(s.shadow.totalCostUsd).toBeCloseTo(0.082, 10);
  });
});
