import {
  binCounts,
  chiSquareHomogeneity,
  ksTwoSample,
  psi,
  quantileEdges,
  twoProportionZ,
  type Proportion,
  type TestResult,
} from './drift-stats';
import type { DriftObservation } from './observation';

/**
 * One series' recent window against its baseline, metric by metric (docs/drift.md). Pure: the
 * store reads the windows, this decides.
 */

export const DRIFT_METRICS = [
  'validation-failure-rate',
  'refusal-rate',
  'output-length',
  'confidence',
  'category-mix',
  'hallucination-rate',
  'unsafe-rate',
] as const;
export type DriftMetric = (typeof DRIFT_METRICS)[number];

/** The sampled evaluation's rates (docs/evaluation.md), watched from its rows, not observations. */
export const EVALUATION_METRICS = ['hallucination-rate', 'unsafe-rate'] as const;

export interface DriftSettings {
  /** Observations in the baseline: the series' first ones. @default 200 */
  baseline: number;
  /** Observations in the recent window: the series' latest ones after the baseline. @default 200 */
  window: number;
  /** A metric is judged only when both windows have this many values for it. @default 50 */
  minSamples: number;
  /** A test's p-value must be below this (strict: seven metrics, tested again and again). @default 0.001 */
  alpha: number;
  /** …and the shift's PSI at least this (a material change, not a significant trifle). @default 0.1 */
  minPsi: number;
  /**
   * The evaluation rates' material change instead: recent − baseline at least this (a rare
   * event's rise is a small PSI: 2 % → 5 % is 0.028). @default 0.05
   */
  minRise: number;
}

/** The settings with the evaluation cadence (the worker's monitor, KEEL_DRIFT_*). */
export interface DriftMonitorSettings extends DriftSettings {
  /** Evaluate a series after every this many of its observations in one process. @default 20 */
  evaluateEvery: number;
}

export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  baseline: 200,
  window: 200,
  minSamples: 50,
  alpha: 0.001,
  minPsi: 0.1,
  minRise: 0.05,
};

/** What a window shows for one metric. */
export interface WindowFigures {
  /** Values the metric had in the window (observations with that field). */
  n: number;
  /** Share of `true` (the two rates). */
  rate?: number;
  /** Median (output length, confidence). */
  median?: number;
  /** Share of each category (category mix). */
  mix?: Record<string, number>;
}

export interface MetricDrift {
  metric: DriftMetric;
  test: 'chi-square' | 'ks' | 'two-proportion-z';
  baseline: WindowFigures;
  recent: WindowFigures;
  /** Chi-square statistic, KS D or z; absent without enough samples. */
  statistic?: number;
  pValue?: number;
  psi?: number;
  /** Both windows hold at least minSamples values. */
  enoughSamples: boolean;
  /** enoughSamples, p < alpha and PSI ≥ minPsi (the evaluation rates: a rise ≥ minRise). */
  drifted: boolean;
}

/** The observation fields drift reads (a row from the store). */
export type Observed = Pick<
  DriftObservation,
  'validationFailed' | 'refused' | 'outputChars' | 'confidence' | 'category'
>;

/** What the evaluation rates read of one evaluated answer (a row of `evaluations`). */
export interface Evaluated {
  /** The verifier's reading; null without a verdict (not in the hallucination rate). */
  unfaithful: boolean | null;
  unsafe: boolean;
}

export function compareWindows(
  baseline: readonly Observed[],
  recent: readonly Observed[],
  s: DriftSettings,
): MetricDrift[] {
  return [
    rate('validation-failure-rate', baseline, recent, (o) => o.validationFailed, s),
    rate('refusal-rate', baseline, recent, (o) => o.refused, s),
    continuous('output-length', baseline, recent, (o) => o.outputChars, s),
    continuous('confidence', baseline, recent, (o) => o.confidence, s),
    categorical(baseline, recent, s),
  ];
}

function judge(
  metric: DriftMetric,
  test: MetricDrift['test'],
  figures: { baseline: WindowFigures; recent: WindowFigures },
  s: DriftSettings,
  run: () => TestResult & ({ psi: number } | { rise: number }),
): MetricDrift {
  const enoughSamples = figures.baseline.n >= s.minSamples && figures.recent.n >= s.minSamples;
  if (!enoughSamples) return { metric, test, ...figures, enoughSamples, drifted: false };
  const r = run();
  const material = 'psi' in r ? r.psi >= s.minPsi : r.rise >= s.minRise;
  return {
    metric,
    test,
    ...figures,
    statistic: round(r.statistic),
    pValue: r.pValue,
    ...('psi' in r ? { psi: round(r.psi) } : {}),
    enoughSamples,
    drifted: r.pValue < s.alpha && material,
  };
}

function rate(
  metric: DriftMetric,
  baseline: readonly Observed[],
  recent: readonly Observed[],
  pick: (o: Observed) => boolean,
  s: DriftSettings,
): MetricDrift {
  const count = (w: readonly Observed[]): [number, number] => {
    const yes = w.filter(pick).length;
    return [yes, w.length - yes];
  };
  const b = count(baseline);
  const r = count(recent);
  const figures = (c: [number, number], n: number): WindowFigures => ({
    n,
    ...(n > 0 ? { rate: round(c[0] / n) } : {}),
  });
  return judge(
    metric,
    'chi-square',
    { baseline: figures(b, baseline.length), recent: figures(r, recent.length) },
    s,
    () => ({ ...chiSquareHomogeneity([b, r]), psi: psi(b, r) }),
  );
}

/**
 * The sampled evaluation's two rates, recent against baseline: did the hallucination rate (over
 * the answers with a verdict) or the unsafe-output rate (over every evaluated answer) rise? The
 * one-sided two-proportion z-test, material when the rise is at least `minRise`.
 */
export function compareEvaluationRates(
  baseline: readonly Evaluated[],
  recent: readonly Evaluated[],
  s: DriftSettings,
): MetricDrift[] {
  const rise = (metric: DriftMetric, pick: (e: Evaluated) => boolean | null): MetricDrift => {
    const count = (w: readonly Evaluated[]): Proportion => {
      const values = w.map(pick).filter((v): v is boolean => v !== null);
      return { events: values.filter(Boolean).length, n: values.length };
    };
    const b = count(baseline);
    const r = count(recent);
    const figures = (c: Proportion): WindowFigures => ({
      n: c.n,
      ...(c.n > 0 ? { rate: round(c.events / c.n) } : {}),
    });
    return judge(
      metric,
      'two-proportion-z',
      { baseline: figures(b), recent: figures(r) },
      s,
      () => ({
        ...twoProportionZ(b, r),
        rise: r.events / r.n - b.events / b.n,
      }),
    );
  };
  return [rise('hallucination-rate', (e) => e.unfaithful), rise('unsafe-rate', (e) => e.unsafe)];
}

function continuous(
  metric: DriftMetric,
  baseline: readonly Observed[],
  recent: readonly Observed[],
  pick: (o: Observed) => number | undefined,
  s: DriftSettings,
): MetricDrift {
  const values = (w: readonly Observed[]): number[] =>
    w.map(pick).filter((v): v is number => typeof v === 'number');
  const b = values(baseline);
  const r = values(recent);
  const figures = (v: number[]): WindowFigures => ({
    n: v.length,
    ...(v.length > 0 ? { median: round(median(v)) } : {}),
  });
  return judge(metric, 'ks', { baseline: figures(b), recent: figures(r) }, s, () => {
    const edges = quantileEdges(b);
    return { ...ksTwoSample(b, r), psi: psi(binCounts(b, edges), binCounts(r, edges)) };
  });
}

function categorical(
  baseline: readonly Observed[],
  recent: readonly Observed[],
  s: DriftSettings,
): MetricDrift {
  const values = (w: readonly Observed[]): string[] =>
    w.map((o) => o.category).filter((c): c is string => typeof c === 'string');
  const b = values(baseline);
  const r = values(recent);
  const categories = [...new Set([...b, ...r])].sort();
  const counts = (v: string[]): number[] => categories.map((c) => v.filter((x) => x === c).length);
  const figures = (v: string[]): WindowFigures => ({
    n: v.length,
    ...(v.length > 0
      ? {
          mix: Object.fromEntries(
            categories.map((c, i) => [c, round(counts(v)[i]! / v.length)] as const),
          ),
        }
      : {}),
  });
  return judge(
    'category-mix',
    'chi-square',
    { baseline: figures(b), recent: figures(r) },
    s,
    () => ({
      ...chiSquareHomogeneity([counts(b), counts(r)]),
      psi: psi(counts(b), counts(r)),
    }),
  );
}

function median(v: readonly number[]): number {
  const sorted = [...v].sort((p, q) => p - q);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
