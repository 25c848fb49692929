import { describe, expect, it } from 'vitest';
import {
  binCounts,
  chiSquareHomogeneity,
  chiSquareSurvival,
  kolmogorovSurvival,
  ksTwoSample,
  psi,
  quantileEdges,
  twoProportionZ,
} from '../../shared/observability/drift-stats';
import {
  compareEvaluationRates,
  compareWindows,
  DEFAULT_DRIFT_SETTINGS,
  type Evaluated,
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

  it('two-proportion z: 10/100 → 25/100 is z = 0.15/√(0.175·0.825·0.02) = 2.7915, p = 0.00262', () => {
    const r = twoProportionZ({ events: 10, n: 100 }, { events: 25, n: 100 });
    expect(r.statistic).toBeCloseTo(2.791453, 5);
    expect(r.pValue).toBeCloseTo(0.002624, 6);
    // z² is the 2×2 Pearson chi-square of the same counts; one-sided, its p is half the two-sided.
    const chi = chiSquareHomogeneity([
      [10, 90],
      [25, 75],
    ]);
    expect(r.statistic ** 2).toBeCloseTo(chi.statistic, 8);
    expect(r.pValue).toBeCloseTo(chi.pValue / 2, 8);
  });

  it('two-proportion z: the one-sided normal critical values 1.6449 (5 %) and 3.0902 (0.1 %)', () => {
    // n = 500,000 each and a pooled rate of ½: the standard error is 1/1000, so z = 1000·Δrate.
    const z = (target: number) =>
      twoProportionZ(
        { events: 250_000 - target * 250, n: 500_000 },
        { events: 250_000 + target * 250, n: 500_000 },
      );
    expect(z(1.644854).statistic).toBeCloseTo(1.644854, 6);
    expect(z(1.644854).pValue).toBeCloseTo(0.05, 6);
    expect(z(3.090232).pValue).toBeCloseTo(0.001, 6);
  });

  it('two-proportion z: a fall is never significant; nothing to compare gives z 0, p 1', () => {
    const fell = twoProportionZ({ events: 25, n: 100 }, { events: 10, n: 100 });
    expect(fell.statistic).toBeCloseTo(-2.791453, 5);
    expect(fell.pValue).toBeCloseTo(1 - 0.002624, 6);
    for (const [a, b] of [
      [
        { events: 0, n: 50 },
        { events: 0, n: 50 },
      ],
      [
        { events: 50, n: 50 },
        { events: 30, n: 30 },
      ],
      [
        { events: 0, n: 0 },
        { events: 3, n: 10 },
      ],
    ] as const)
      expect(twoProportionZ(a, b)).toEqual({ statistic: 0, pValue: 1 });
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

describe('compareEvaluationRates', () => {
  const s = DEFAULT_DRIFT_SETTINGS;
  const ev = (n: number, unfaithfulEvery = 0, unsafeEvery = 0): Evaluated[] =>
    Array.from({ length: n }, (_, i) => ({
      unfaithful: unfaithfulEvery && i % unfaithfulEvery === 0 ? true : false,
      unsafe: unsafeEvery > 0 && i % unsafeEvery === 0,
    }));

  it('stable rates raise nothing; equal windows give z 0', () => {
    const result = compareEvaluationRates(ev(200, 20), ev(200, 20), s);
    expect(result.map((m) => [m.metric, m.test, m.enoughSamples, m.drifted])).toEqual([
      ['hallucination-rate', 'two-proportion-z', true, false],
      ['unsafe-rate', 'two-proportion-z', true, false],
    ]);
    expect(result[0]).toMatchObject({ baseline: { n: 200, rate: 0.05 }, statistic: 0 });
    expect(result[0]!.psi).toBeUndefined();
  });

  it('a hallucination rate from 5 % to 25 % alerts; the unsafe rate stays quiet', () => {
    const [h, u] = compareEvaluationRates(ev(200, 20), ev(200, 4), s);
    expect(h).toMatchObject({ drifted: true, recent: { n: 200, rate: 0.25 } });
    expect(h!.pValue).toBeLessThan(s.alpha);
    expect(u!.drifted).toBe(false);
  });

  it('unsafe answers from none to 1 in 5 alert; a rate that fell does not', () => {
    expect(compareEvaluationRates(ev(100), ev(100, 0, 5), s)[1]!.drifted).toBe(true);
    expect(compareEvaluationRates(ev(100, 0, 5), ev(100), s)[1]).toMatchObject({
      drifted: false,
      enoughSamples: true,
    });
  });

  it('a significant rise below minRise does not alert (0 % → 4 % of 5,000 each)', () => {
    const [h] = compareEvaluationRates(ev(5000), ev(5000, 25), s);
    expect(h!.pValue).toBeLessThan(1e-10);
    expect(h!.drifted).toBe(false);
    expect(
      compareEvaluationRates(ev(5000), ev(5000, 25), { ...s, minRise: 0.03 })[0]!.drifted,
    ).toBe(true);
  });

  it('the hallucination rate counts only answers with a verdict; below minSamples nothing is judged', () => {
    const noVerdict: Evaluated[] = ev(100).map((e, i) => (i < 60 ? { ...e, unfaithful: null } : e));
    const [h, u] = compareEvaluationRates(ev(100), noVerdict, s);
    expect(h).toMatchObject({ enoughSamples: false, drifted: false, recent: { n: 40 } });
    expect(h!.pValue).toBeUndefined();
    expect(u).toMatchObject({ enoughSamples: true, recent: { n: 100, rate: 0 } });
  });
});
