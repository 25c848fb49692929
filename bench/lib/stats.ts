import os from 'node:os';
import type { LatencyStats, Quantiles } from '../results-schema';

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function latencyStats(samples: readonly number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: round2(percentile(sorted, 50)),
    p90: round2(percentile(sorted, 90)),
    p99: round2(percentile(sorted, 99)),
    max: round2(sorted.at(-1) ?? NaN),
  };
}

/** q0…q100, for distribution plots. */
export function quantiles(samples: readonly number[]): Quantiles {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  return Array.from({ length: 101 }, (_, q) =>
    round2(q === 0 ? sorted[0]! : percentile(sorted, q)),
  );
}

export { round2 };

/** p50 and p99 of raw samples (unrounded: sub-millisecond figures keep their digits). */
export function p50p99(samples: readonly number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** The machine's load averages (1, 5, 15 min), as a bench prints them beside its figures. */
export function loadAverage(digits = 2): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(digits))
    .join(' ');
}
