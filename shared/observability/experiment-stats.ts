import { z } from 'zod';
import { canonicalJson } from '../contracts/canonical-json';

/**
 * Shadow tests' pure part (docs/experiments.md): which jobs an experiment samples, how a
 * candidate's answer compares with the live one, and the statistics over many comparisons
 * (Wilson intervals for rates, a normal interval for mean paired deltas). No I/O.
 */

/** Below this many comparisons the figures are shown but flagged `enoughSamples: false`. */
export const MIN_SAMPLES = 30;
/** Two-sided 95 %. */
const Z95 = 1.959964;

/** FNV-1a (32 bit): a stable hash that needs no Node built-in. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Whether the experiment shadows this job: a hash of both ids against the rate, so every replica
 * (and a retried activity) decides the same, and two experiments sample independently.
 */
export function sampled(experimentId: string, jobId: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return fnv1a(`${experimentId}\n${jobId}`) / 0x1_0000_0000 < rate;
}

export interface Comparison {
  /** The enum field's values agree; null when there is no enum field or a side lacks it. */
  agree: boolean | null;
  fields: string[];
  diffFields: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field by field (top level, canonical JSON); the enum field decides `agree`. */
export function compareAnswers(
  live: unknown,
  shadow: unknown,
  enumField: string | undefined,
): Comparison {
  if (!isRecord(live) || !isRecord(shadow)) return { agree: null, fields: [], diffFields: [] };
  const fields = [...new Set([...Object.keys(live), ...Object.keys(shadow)])].sort();
  const diffFields = fields.filter(
    (f) => canonicalJson(live[f] ?? null) !== canonicalJson(shadow[f] ?? null),
  );
  const agree =
    enumField !== undefined && typeof live[enumField] === 'string' && enumField in shadow
      ? live[enumField] === shadow[enumField]
      : null;
  return { agree, fields, diffFields };
}

/** The first enum field of a task's output (classify-ticket: `category`), if any. */
export function enumFieldOf(schema: z.ZodType): string | undefined {
  if (!(schema instanceof z.ZodObject)) return undefined;
  for (const [name, field] of Object.entries(schema.shape)) {
    let inner: unknown = field;
    while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) inner = inner.unwrap();
    if (inner instanceof z.ZodEnum) return name;
  }
  return undefined;
}

export interface RateInterval {
  /** Successes over trials; null with no trials. */
  rate: number | null;
  n: number;
  /** 95 % Wilson score interval. */
  low: number | null;
  high: number | null;
}

/** A rate with its 95 % Wilson score interval (good near 0 and 1 and for small n). */
export function wilson(successes: number, n: number, z = Z95): RateInterval {
  if (n <= 0) return { rate: null, n: 0, low: null, high: null };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 and n the bound is exactly 0 or 1 (rounding leaves 1e-17 otherwise).
  const low = successes <= 0 ? 0 : Math.max(0, centre - half);
  const high = successes >= n ? 1 : Math.min(1, centre + half);
  return { rate: p, n, low, high };
}

export interface MeanInterval {
  /** Mean of the paired differences (shadow − live); null with none. */
  mean: number | null;
  n: number;
  /** 95 % normal interval (mean ± 1.96·s/√n); null below two values. */
  low: number | null;
  high: number | null;
}

/** The mean of paired differences with a normal 95 % interval (the CLT; n ≥ MIN_SAMPLES). */
export function meanInterval(values: readonly number[], z = Z95): MeanInterval {
  const n = values.length;
  if (n === 0) return { mean: null, n: 0, low: null, high: null };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, n, low: null, high: null };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = z * Math.sqrt(variance / n);
  return { mean, n, low: mean - half, high: mean + half };
}

/** One comparison as the statistics need it (a store row). */
export interface ComparisonRow {
  shadowValid: boolean;
  agree: boolean | null;
  fields: readonly string[];
  diffFields: readonly string[];
  liveLatencyMs: number;
  shadowLatencyMs: number;
  liveCostMicros: number;
  shadowCostMicros: number;
}

export interface ExperimentStats {
  /** Shadowed jobs compared. */
  n: number;
  enoughSamples: boolean;
  minSamples: number;
  /** The enum field's agreement, over jobs where both answers name it. */
  enumMatch: RateInterval;
  /** The candidate's answers that passed validation, over every shadowed job. */
  validationPass: RateInterval;
  /** Per top-level output field: how often the two answers differ. */
  fieldDiffs: Record<string, RateInterval>;
  /** Shadow − live, per job (ms). */
  latencyDeltaMs: MeanInterval;
  /** Shadow − live, per job (USD). */
  costDeltaUsd: MeanInterval;
  /** Means of each side, for reading the deltas. */
  live: { meanLatencyMs: number | null; meanCostUsd: number | null };
  shadow: { meanLatencyMs: number | null; meanCostUsd: number | null; totalCostUsd: number };
}

const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

/** Every figure of `GET /v1/experiments/{id}` from its comparisons. */
export function experimentStats(rows: readonly ComparisonRow[]): ExperimentStats {
  const withEnum = rows.filter((r) => r.agree !== null);
  const fieldCounts = new Map<string, { n: number; diff: number }>();
  for (const r of rows) {
    for (const f of r.fields) {
      const c = fieldCounts.get(f) ?? { n: 0, diff: 0 };
      c.n += 1;
      if (r.diffFields.includes(f)) c.diff += 1;
      fieldCounts.set(f, c);
    }
  }
  const usd = (micros: number): number => micros / 1_000_000;
  return {
    n: rows.length,
    enoughSamples: rows.length >= MIN_SAMPLES,
    minSamples: MIN_SAMPLES,
    enumMatch: wilson(withEnum.filter((r) => r.agree).length, withEnum.length),
    validationPass: wilson(rows.filter((r) => r.shadowValid).length, rows.length),
    fieldDiffs: Object.fromEntries(
      [...fieldCounts.entries()].sort().map(([f, c]) => [f, wilson(c.diff, c.n)]),
    ),
    latencyDeltaMs: meanInterval(rows.map((r) => r.shadowLatencyMs - r.liveLatencyMs)),
    costDeltaUsd: meanInterval(rows.map((r) => usd(r.shadowCostMicros - r.liveCostMicros))),
    live: {
      meanLatencyMs: mean(rows.map((r) => r.liveLatencyMs)),
      meanCostUsd: mean(rows.map((r) => usd(r.liveCostMicros))),
    },
    shadow: {
      meanLatencyMs: mean(rows.map((r) => r.shadowLatencyMs)),
      meanCostUsd: mean(rows.map((r) => usd(r.shadowCostMicros))),
      totalCostUsd: usd(rows.reduce((a, r) => a + r.shadowCostMicros, 0)),
    },
  };
}
