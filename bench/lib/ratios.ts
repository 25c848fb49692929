/**
 * Pure arithmetic of `npm run bench`'s floor and open-loop passes: added latency from
 * interleaved rounds, goodput against the closed-loop capacity, and how refusals came back.
 */
import type { LatencyStats } from '../results-schema';
import type { Outcome } from './systems';
import { latencyStats, median, round2 } from './stats';

/** `num ÷ den`, two decimals; null when either is missing, not finite, or den ≤ 0. */
export function ratioOf(num: number | undefined, den: number | undefined): number | null {
  if (num === undefined || den === undefined) return null;
  if (!Number.isFinite(num) || !Number.isFinite(den) || den <= 0) return null;
  return round2(num / den);
}

/**
 * One system's samples, round by round: p50 is the median of the rounds' medians (drift between
 * rounds hits every system alike), p90/p99/max over the pooled samples.
 */
export function roundStats(rounds: readonly (readonly number[])[]): LatencyStats {
  return {
    ...latencyStats(rounds.flat()),
    p50: round2(median(rounds.filter((r) => r.length).map((r) => median(r)))),
  };
}

/**
 * What a system adds over the reference (the SDK straight at the upstream) measured in the same
 * rounds: p50 is the median over rounds of (its round median − the reference's round median);
 * p99 the difference of the pooled p99s.
 */
export function addedLatency(
  mine: readonly (readonly number[])[],
  reference: readonly (readonly number[])[],
): { p50: number; p99: number } {
  const paired = mine
    .map((r, i) => (r.length && reference[i]?.length ? median(r) - median(reference[i]) : NaN))
    .filter(Number.isFinite);
  return {
    p50: round2(median(paired)),
    p99: round2(latencyStats(mine.flat()).p99 - latencyStats(reference.flat()).p99),
  };
}

export interface Goodput {
  /** Closed-loop capacity of the same system in the same run (answers/s). */
  capacityPerSec: number;
  /** Achieved ÷ capacity. */
  vsCapacity: number | null;
  /** Achieved ÷ min(offered, capacity): 1 = all the system could have answered. */
  vsExpected: number | null;
}

export function goodput(achievedPerSec: number, offeredPerSec: number, capacity: number): Goodput {
  return {
    capacityPerSec: round2(capacity),
    vsCapacity: ratioOf(achievedPerSec, capacity),
    vsExpected: ratioOf(achievedPerSec, Math.min(offeredPerSec, capacity)),
  };
}

export interface Refusals {
  /** Requests that did not get an answer: failed outcomes plus those the load generator dropped. */
  errors: number;
  /** Of those, refused with 503 and a Retry-After header. */
  refused503WithRetryAfter: number;
  /** refused503WithRetryAfter ÷ errors; null without errors. */
  share: number | null;
  /** How fast those refusals came back. */
  latency: LatencyStats;
  /** Every error by kind: `503 + Retry-After`, `500`, `TimeoutError: …`, `dropped`... */
  byKind: Record<string, number>;
}

const kindOf = (o: Outcome): string =>
  o.status !== undefined
    ? `${o.status}${o.retryAfter !== undefined ? ' + Retry-After' : ''}`
    : (o.error ?? 'unknown').slice(0, 60);

export function refusals(outcomes: readonly Outcome[], dropped: number): Refusals {
  const failed = outcomes.filter((o) => !o.ok);
  const refused = failed.filter((o) => o.status === 503 && o.retryAfter !== undefined);
  const errors = failed.length + dropped;
  const byKind: Record<string, number> = dropped ? { dropped } : {};
  for (const o of failed) byKind[kindOf(o)] = (byKind[kindOf(o)] ?? 0) + 1;
  return {
    errors,
    refused503WithRetryAfter: refused.length,
    share: errors ? round2(refused.length / errors) : null,
    latency: latencyStats(refused.map((o) => o.ms)),
    byKind,
  };
}
