/**
 * Circuit breaker and latency statistics for one provider/model, as pure functions. The state
 * lives in a Temporal entity workflow (workflows/provider-health.ts) so every worker shares it
 * and it survives restarts; every clock reading comes from the caller (an activity).
 */
export type BreakerStateName = 'closed' | 'open' | 'half_open';

export interface BreakerSettings {
  /** Outcomes older than this are forgotten. @default 60000 */
  windowMs: number;
  /** No verdict on fewer calls than this in the window. @default 5 */
  minRequests: number;
  /** Open when this share of the window's calls failed. @default 0.5 */
  failureRate: number;
  /** Calls slower than this count as slow. @default 20000 */
  slowCallMs: number;
  /** Open when this share of the window's calls were slow. @default 0.8 */
  slowRate: number;
  /** How long an open circuit refuses calls before letting one probe through. @default 15000 */
  openMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = {
  windowMs: 60_000,
  minRequests: 5,
  failureRate: 0.5,
  slowCallMs: 20_000,
  slowRate: 0.8,
  openMs: 15_000,
};

export interface CallOutcome {
  /** Epoch ms, from the reporting activity's clock. */
  at: number;
  ok: boolean;
  latencyMs: number;
  /** Failure type when not ok (only provider-side failures are reported). */
  failure?: string;
  /**
   * Whether this call was the half-open probe. Only the probe's outcome decides a half-open
   * circuit; other calls' outcomes (made before it opened, reported late) are only recorded.
   * Absent in reports from workers older than this field: those decide, as they always did.
   */
  probe?: boolean;
}

export interface Transition {
  at: number;
  from: BreakerStateName;
  to: BreakerStateName;
  reason: string;
}

export interface BreakerState {
  state: BreakerStateName;
  openedAt?: number;
  probeInFlight: boolean;
  /** When the current probe was let through. */
  probeAt?: number;
  /**
   * When the current probe expires if never reported: its caller's bound on the call (so a slow
   * probe is never joined by a second one), at least `probeAt + openMs`.
   */
  probeUntil?: number;
  outcomes: CallOutcome[];
  /** The last transitions, newest last. */
  transitions: Transition[];
}

export const initialBreaker = (): BreakerState => ({
  state: 'closed',
  probeInFlight: false,
  outcomes: [],
  transitions: [],
});

const MAX_TRANSITIONS = 20;
/** Enough samples for percentiles, few enough to keep histories and payloads small. */
const MAX_OUTCOMES = 200;

function move(s: BreakerState, to: BreakerStateName, at: number, reason: string): BreakerState {
  if (s.state === to) return s;
  const transitions = [...s.transitions, { at, from: s.state, to, reason }].slice(-MAX_TRANSITIONS);
  return {
    ...s,
    state: to,
    transitions,
    openedAt: to === 'open' ? at : s.openedAt,
    probeInFlight: false,
    probeUntil: undefined,
  };
}

export interface WindowStats {
  requests: number;
  failures: number;
  errorRate: number;
  slowRate: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

export function windowStats(s: BreakerState, settings: BreakerSettings, now: number): WindowStats {
  const recent = s.outcomes.filter((o) => o.at > now - settings.windowMs);
  const failures = recent.filter((o) => !o.ok).length;
  const slow = recent.filter((o) => o.latencyMs >= settings.slowCallMs).length;
  const latencies = recent
    .filter((o) => o.ok)
    .map((o) => o.latencyMs)
    .sort((a, b) => a - b);
  const n = recent.length;
  return {
    requests: n,
    failures,
    errorRate: n ? failures / n : 0,
    slowRate: n ? slow / n : 0,
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
  };
}

/** Adds an outcome and applies the transitions it causes. */
export function recordOutcome(
  s: BreakerState,
  o: CallOutcome,
  settings: BreakerSettings,
): BreakerState {
  const outcomes = [...s.outcomes, o]
    .filter((x) => x.at > o.at - settings.windowMs)
    .slice(-MAX_OUTCOMES);
  let next: BreakerState = { ...s, outcomes };
  if (s.state === 'half_open') {
    // The probe decides: success closes (with a fresh window), failure opens again.
    if (o.probe === false) return next;
    return o.ok
      ? { ...move(next, 'closed', o.at, 'probe succeeded'), outcomes: [o] }
      : move(next, 'open', o.at, `probe failed: ${o.failure ?? 'error'}`);
  }
  if (s.state === 'open') return next;
  const stats = windowStats(next, settings, o.at);
  if (stats.requests >= settings.minRequests) {
    if (stats.errorRate >= settings.failureRate) {
      next = move(
        next,
        'open',
        o.at,
        `error rate ${Math.round(stats.errorRate * 100)}% over ${stats.requests} calls`,
      );
    } else if (stats.slowRate >= settings.slowRate) {
      next = move(
        next,
        'open',
        o.at,
        `slow calls ${Math.round(stats.slowRate * 100)}% over ${stats.requests} calls`,
      );
    }
  }
  return next;
}

export interface Permit {
  allow: boolean;
  /** This call is the half-open probe: its outcome decides the circuit. */
  probe: boolean;
  state: BreakerState;
}

/**
 * May a call go through now? An open circuit lets exactly one probe through after `openMs`. The
 * probe is held until `probeUntil` (the asker's bound on when its outcome will have been
 * reported), at least `openMs`: a probe slower than the cool-down is not joined by another.
 */
export function acquire(
  s: BreakerState,
  now: number,
  settings: BreakerSettings,
  probeUntil?: number,
): Permit {
  if (s.state === 'closed') return { allow: true, probe: false, state: s };
  if (s.state === 'open' && now - (s.openedAt ?? now) < settings.openMs) {
    return { allow: false, probe: false, state: s };
  }
  const heldUntil = s.probeUntil ?? (s.probeAt ?? now) + settings.openMs;
  if (s.state === 'half_open' && s.probeInFlight && now < heldUntil) {
    return { allow: false, probe: false, state: s };
  }
  const half = s.state === 'open' ? move(s, 'half_open', now, `${settings.openMs} ms elapsed`) : s;
  const until = Math.max(now + settings.openMs, probeUntil ?? 0);
  return {
    allow: true,
    probe: true,
    state: { ...half, probeInFlight: true, probeAt: now, probeUntil: until },
  };
}

/**
 * Adaptive call timeout from observed latency: p95 × 2, scaled by prompt size
 * (× (1 + estimatedInputTokens / 4000)), clamped to [minMs, maxMs]. With fewer than
 * `minRequests` successful samples, `maxMs`: no data, no tightening.
 */
export function adaptiveTimeoutMs(
  stats: WindowStats,
  bounds: { minMs: number; maxMs: number; minRequests: number; estimatedInputTokens: number },
): number {
  const p95 = stats.latencyMs.p95;
  const samples = stats.requests - stats.failures;
  if (p95 === null || samples < bounds.minRequests) return bounds.maxMs;
  const scaled = p95 * 2 * (1 + bounds.estimatedInputTokens / 4000);
  return Math.round(Math.min(bounds.maxMs, Math.max(bounds.minMs, scaled)));
}
