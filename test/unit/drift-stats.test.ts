import { describe, expect, it } from 'vitest';
import {
  binCounts,
  chiSquareHomogeneity,
  chiSquareSurvival,
  kolmogorovSurvival,
  ksTwoSample,
  psi,
  quantileEdges,
} from '../../shared/observability/drift-stats';
import {
  compareWindows,
  DEFAULT_DRIFT_SETTINGS,
  type Observed,
} from '../../shared/observability/drift-detect';
import { answerFigures, observeTask } from '../../shared/observability/observation';

describe('drift statistics against textbook values', () => {
  it('chi-square survival: the 5 % and 1 % critical values of the tables', () => {
    expect(chiSquareSurvival(3.841459, 1)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(5.991465, 2)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(7.814728, 3)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(11.34487, 3)).toBeCloseTo(0.01, 6);
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });

  it('chi-square homogeneity of a 2×2 table: 6.667 on 1 df, p = 2·(1 − Φ(2.582)) = 0.00982', () => {
    // Rows 30/30, columns 30/30: every expected count is 15; Σ(O−E)²/E = 4·25/15.
    const r = chiSquareHomogeneity([
      [10, 20],
      [20, 10],
    ]);
    expect(r.statistic).toBeCloseTo(20 / 3, 10);
    expect(r.df).toBe(1);
    expect(r.pValue).toBeCloseTo(0.009823, 5);
  });

  it('chi-square homogeneity of identical mixes is 0 (p = 1); empty columns are dropped', () => {
    const r = chiSquareHomogeneity([
      [10, 20, 0, 30],
      [20, 40, 0, 60],
    ]);
    expect(r.statistic).toBeCloseTo(0, 12);
    expect(r.df).toBe(2);
    expect(r.pValue).toBeCloseTo(1, 12);
    // A rate of 0 in both windows: one column left, nothing to compare.
    expect(
      chiSquareHomogeneity([
        [0, 50],
        [0, 50],
      ]),
    ).toEqual({ statistic: 0, pValue: 1, df: 0 });
  });

  it('Kolmogorov distribution: the 10 %, 5 % and 1 % critical values 1.224, 1.358, 1.628', () => {
    expect(kolmogorovSurvival(1.2238)).toBeCloseTo(0.1, 3);
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 3);
    expect(kolmogorovSurvival(1.6276)).toBeCloseTo(0.01, 3);
    expect(kolmogorovSurvival(0)).toBe(1);
  });

  it('two-sample KS: D is the largest gap between the empirical CDFs, ties stepped together', () => {
    expect(ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6]).statistic).toBe(0.5);
    expect(ksTwoSample([1, 2, 3], [4, 5, 6]).statistic).toBe(1);
    const same = ksTwoSample([1, 1, 2, 2, 3], [1, 2, 2, 1, 3]);
    expect(same.statistic).toBe(0);
    expect(same.pValue).toBe(1);
  });

  it('two-sample KS p-value: nₑ = 50, D = 0.3 gives λ = 2.1620, p = 1.742e-4', () => {
    // 100 vs 100 values: the first 30 % of b lies below all of a.
    const a = Array.from({ length: 100 }, (_, i) => 100 + i);
    const b = [...Array.from({ length: 30 }, (_, i) => i), ...a.slice(0, 70)];
    const r = ksTwoSample(a, b);
    expect(r.statistic).toBeCloseTo(0.3, 12);
    // λ = (√50 + 0.12 + 0.11/√50)·0.3 = 2.16200; Q(λ) = 2e^(−2λ²) − 2e^(−8λ²) + … = 1.7424e-4
    expect(r.pValue).toBeCloseTo(1.7424e-4, 7);
  });

  it('PSI: 25/25/25/25 → 10/20/30/40 is 0.2282; equal distributions 0', () => {
    expect(psi([25, 25, 25, 25], [10, 20, 30, 40])).toBeCloseTo(0.2282, 4);
    expect(psi([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 12);
    // A bin empty in the baseline is floored at 1e-4, not infinite.
    expect(Number.isFinite(psi([50, 0], [25, 25]))).toBe(true);
  });

  it('deciles as bin edges, distinct values only', () => {
    const sample = Array.from({ length: 100 }, (_, i) => i);
    const edges = quantileEdges(sample);
    expect(edges).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(binCounts(sample, edges)).toEqual(new Array(10).fill(10));
    expect(quantileEdges([0.9, 0.9, 0.9, 0.5])).toEqual([0.5, 0.9]);
  });
});

const obs = (o: Partial<Observed> = {}): Observed => ({
  validationFailed: false,
  refused: false,
  outputChars: 100,
  confidence: 0.8,
  category: 'BILLING',
  ...o,
});

describe('compareWindows', () => {
  const s = DEFAULT_DRIFT_SETTINGS;
  const stable = (n: number, seed: number): Observed[] =>
    Array.from({ length: n }, (_, i) =>
      obs({
        outputChars: 80 + ((i * 7 + seed) % 40),
        confidence: 0.6 + ((i * 3 + seed) % 5) / 20,
        category: ['BILLING', 'TECHNICAL', 'ACCOUNT', 'OTHER'][(i + seed) % 4]!,
      }),
    );

  it('no metric drifts between two windows of one stable model', () => {
    const result = compareWindows(stable(200, 0), stable(200, 1), s);
    expect(result.every((m) => m.enoughSamples)).toBe(true);
    expect(result.filter((m) => m.drifted)).toEqual([]);
  });

  it('refusals, longer answers and a shifted mix each drift', () => {
    const base = stable(200, 0);
    const by = (recent: Observed[]) =>
      compareWindows(base, recent, s)
        .filter((m) => m.drifted)
        .map((m) => m.metric);
    expect(by(stable(200, 1).map((o, i) => (i % 3 ? o : { ...o, refused: true })))).toEqual([
      'refusal-rate',
    ]);
    expect(
      by(stable(200, 1).map((o) => ({ ...o, outputChars: (o.outputChars ?? 0) * 2 }))),
    ).toEqual(['output-length']);
    expect(by(stable(200, 1).map((o, i) => (i % 2 ? { ...o, category: 'OTHER' } : o)))).toEqual([
      'category-mix',
    ]);
  });

  it('judges nothing below the minimum sample size', () => {
    const result = compareWindows(
      stable(200, 0),
      Array.from({ length: 49 }, () => obs({ refused: true })),
      s,
    );
    expect(result.every((m) => !m.enoughSamples && !m.drifted && m.pValue === undefined)).toBe(
      true,
    );
  });
});

describe('observeTask', () => {
  const candidates = [
    { provider: 'openai', model: 'gpt' },
    { provider: 'local', model: 'keel-local-1' },
  ];
  const answer = { category: 'BILLING', confidence: 0.88, rationale: 'x' };

  it('observes the primary answer with its figures', () => {
    expect(
      observeTask({
        task: 'classify-ticket',
        promptVersion: 'v1',
        candidates,
        rejected: [],
        refused: [],
        accepted: { output: answer, provider: 'openai', path: 'primary' },
      }),
    ).toEqual({
      task: 'classify-ticket',
      provider: 'openai',
      model: 'gpt',
      promptVersion: 'v1',
      validationFailed: false,
      refused: false,
      outputChars: JSON.stringify(answer).length,
      confidence: 0.88,
      category: 'BILLING',
    });
  });

  it('a refusal of the primary is observed without figures; a wire failure is not observed', () => {
    const args = {
      task: 'classify-ticket',
      promptVersion: 'v1',
      candidates,
      rejected: [],
      accepted: { output: answer, provider: 'local', path: 'degraded' },
    };
    expect(observeTask({ ...args, refused: ['openai:gpt'] })).toMatchObject({
      refused: true,
      validationFailed: false,
    });
    expect(observeTask({ ...args, refused: ['openai:gpt'] })?.outputChars).toBeUndefined();
    expect(observeTask({ ...args, refused: [] })).toBeUndefined();
  });

  it('reads only bounded fields of an answer', () => {
    expect(answerFigures('plain text')).toEqual({ outputChars: 12 });
    const odd = { confidence: 7, category: 'x'.repeat(65) };
    expect(answerFigures(odd)).toEqual({ outputChars: JSON.stringify(odd).length });
  });
});
