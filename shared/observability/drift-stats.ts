import { jStat } from 'jstat';

/**
 * The tests drift detection compares a recent window with its baseline by (docs/drift.md). Pure
 * functions of counts and samples; p-values from jstat's chi-square CDF and complementary error
 * function and the Kolmogorov distribution's series.
 */

/** A proportion of 0 in either distribution is floored here, so the PSI stays finite. */
export const PSI_FLOOR = 1e-4;

/**
 * Population stability index of `actual` against `expected`, both as counts over the same bins:
 * Σ (a − e) · ln(a / e) over the bins' proportions. Under 0.1 is read as stable, 0.1–0.25 as a
 * moderate shift, over 0.25 as a large one (the usual credit-scoring reading).
 */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  const e = proportions(expected);
  const a = proportions(actual);
  if (e.length === 0 || a.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    const pe = Math.max(e[i] ?? 0, PSI_FLOOR);
    const pa = Math.max(a[i] ?? 0, PSI_FLOOR);
    sum += (pa - pe) * Math.log(pa / pe);
  }
  return sum;
}

function proportions(counts: readonly number[]): number[] {
  const total = counts.reduce((s, c) => s + c, 0);
  return total > 0 ? counts.map((c) => c / total) : [];
}

export interface TestResult {
  statistic: number;
  pValue: number;
  /** Degrees of freedom (chi-square only). */
  df?: number;
}

/** P(X ≥ x) for a chi-square variable with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(x > 0)) return 1;
  return Math.min(1, Math.max(0, 1 - jStat.chisquare.cdf(x, df)));
}

/**
 * Pearson's chi-square test of homogeneity: do the rows (samples) share one distribution over
 * the columns (categories)? Columns empty in every row are dropped; with fewer than two rows or
 * columns left there is nothing to compare (statistic 0, p 1).
 */
export function chiSquareHomogeneity(rows: readonly (readonly number[])[]): TestResult {
  const width = Math.max(0, ...rows.map((r) => r.length));
  const columns = Array.from({ length: width }, (_, j) => rows.map((r) => r[j] ?? 0)).filter(
    (col) => col.some((c) => c > 0),
  );
  const kept = rows
    .map((_, i) => columns.map((col) => col[i]!))
    .filter((r) => r.some((c) => c > 0));
  if (kept.length < 2 || columns.length < 2) return { statistic: 0, pValue: 1, df: 0 };
  const rowTotals = kept.map((r) => r.reduce((s, c) => s + c, 0));
  const colTotals = columns.map((_, j) => kept.reduce((s, r) => s + r[j]!, 0));
  const total = rowTotals.reduce((s, c) => s + c, 0);
  let statistic = 0;
  kept.forEach((r, i) =>
    r.forEach((observed, j) => {
      const expected = (rowTotals[i]! * colTotals[j]!) / total;
      statistic += (observed - expected) ** 2 / expected;
    }),
  );
  const df = (kept.length - 1) * (columns.length - 1);
  return { statistic, pValue: chiSquareSurvival(statistic, df), df };
}

/** A count of events in a sample of `n` (a rate's numerator and denominator). */
export interface Proportion {
  events: number;
  n: number;
}

/**
 * The pooled two-proportion z-test, one-sided: is the rate of `recent` higher than that of
 * `baseline`? z = (p₂ − p₁) / √(p̂(1 − p̂)(1/n₁ + 1/n₂)), p̂ the pooled rate, and p = P(Z ≥ z)
 * = erfc(z/√2)/2. z² is the 2×2 Pearson chi-square; one-sided, a rate that fell is never
 * significant. Empty samples, or a pooled rate of 0 or 1 (nothing differs), give z 0 and p 1.
 */
export function twoProportionZ(baseline: Proportion, recent: Proportion): TestResult {
  if (baseline.n === 0 || recent.n === 0) return { statistic: 0, pValue: 1 };
  const pooled = (baseline.events + recent.events) / (baseline.n + recent.n);
  if (pooled <= 0 || pooled >= 1) return { statistic: 0, pValue: 1 };
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / baseline.n + 1 / recent.n));
  const z = (recent.events / recent.n - baseline.events / baseline.n) / se;
  return { statistic: z, pValue: Math.min(1, Math.max(0, jStat.erfc(z / Math.SQRT2) / 2)) };
}

/**
 * Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}: the probability that the Kolmogorov statistic
 * exceeds λ (Numerical Recipes' probks).
 */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 0.2) return 1; // the series converges slowly there; the value is 1 to 1e-9
  let sum = 0;
  let sign = 1;
  for (let k = 1; k <= 100; k++) {
    const term = sign * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * Two-sample Kolmogorov–Smirnov test: D, the largest gap between the samples' empirical CDFs,
 * and its two-sided p-value from the asymptotic distribution with Stephens' small-sample
 * correction, λ = (√nₑ + 0.12 + 0.11/√nₑ)·D with nₑ = nm/(n+m). Ties are handled by stepping
 * over equal values together; with many ties the p-value is conservative (too large).
 */
export function ksTwoSample(a: readonly number[], b: readonly number[]): TestResult {
  if (a.length === 0 || b.length === 0) return { statistic: 0, pValue: 1 };
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const ne = (x.length * y.length) / (x.length + y.length);
  const root = Math.sqrt(ne);
  return { statistic: d, pValue: kolmogorovSurvival((root + 0.12 + 0.11 / root) * d) };
}

/**
 * Bin edges for a continuous PSI: the baseline's deciles (distinct values only, so a sample with
 * many ties gets fewer bins).
 */
export function quantileEdges(sample: readonly number[], bins = 10): number[] {
  if (sample.length === 0) return [];
  const sorted = [...sample].sort((p, q) => p - q);
  const edges = new Set<number>();
  for (let k = 1; k < bins; k++) {
    edges.add(sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / bins))]!);
  }
  return [...edges].sort((p, q) => p - q);
}

/** Counts of `sample` per bin: bin k holds the values v with edges[k−1] ≤ v < edges[k]. */
export function binCounts(sample: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of sample) {
    let k = 0;
    while (k < edges.length && v >= edges[k]!) k++;
    counts[k]! += 1;
  }
  return counts;
}
