import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BREAKER,
  acquire,
  adaptiveTimeoutMs,
  initialBreaker,
  recordOutcome,
  windowStats,
  type BreakerState,
} from '../../shared/policy/breaker';

const settings = {
  ...DEFAULT_BREAKER,
  minRequests: 4,
  failureRate: 0.5,
  openMs: 10_000,
  windowMs: 60_000,
};
const ok = (at: number, latencyMs = 100) => ({ at, ok: true, latencyMs });
const bad = (at: number) => ({ at, ok: false, latencyMs: 50, failure: 'ServerError' });
const feed = (s: BreakerState, outcomes: ReturnType<typeof ok>[]) =>
  outcomes.reduce((acc, o) => recordOutcome(acc, o, settings), s);

describe('circuit breaker', () => {
  it('stays closed below the minimum number of calls, opens at the failure rate', () => {
    let s = feed(initialBreaker(), [bad(1), bad(2), bad(3)]);
    expect(s.state).toBe('closed');
    s = feed(s, [ok(4)]);
    expect(s.state).toBe('open'); // 3 of 4 failed
    expect(s.transitions).toEqual([
      { at: 4, from: 'closed', to: 'open', reason: 'error rate 75% over 4 calls' },
    ]);
  });

  it('does not open on a healthy mix, and forgets outcomes outside the window', () => {
    expect(feed(initialBreaker(), [bad(1), ok(2), ok(3), ok(4), ok(5)]).state).toBe('closed');
    const s = feed(initialBreaker(), [bad(1), bad(2), bad(3), ok(70_000)]);
    expect(s.state).toBe('closed');
    expect(windowStats(s, settings, 70_000).requests).toBe(1);
  });

  it('opens on slow calls', () => {
    const slow = { ...settings, slowCallMs: 1_000, slowRate: 0.75 };
    const s = [ok(1, 5_000), ok(2, 5_000), ok(3, 5_000), ok(4, 10)].reduce(
      (acc, o) => recordOutcome(acc, o, slow),
      initialBreaker(),
    );
    expect(s.state).toBe('open');
    expect(s.transitions[0]?.reason).toMatch(/slow calls/);
  });

  it('refuses while open, then lets exactly one probe through after openMs', () => {
    const open = feed(initialBreaker(), [bad(1), bad(2), bad(3), bad(4)]);
    expect(acquire(open, 5_000, settings).allow).toBe(false);
    const probe = acquire(open, 14_001, settings);
    expect(probe).toMatchObject({ allow: true, probe: true });
    expect(probe.state.state).toBe('half_open');
    expect(acquire(probe.state, 14_002, settings).allow).toBe(false); // one probe at a time
    // A probe never reported expires after openMs, so the circuit cannot stick half-open.
    expect(acquire(probe.state, 24_002, settings).allow).toBe(true);
  });

  it('a successful probe closes with a fresh window; a failed one opens again', () => {
    const open = feed(initialBreaker(), [bad(1), bad(2), bad(3), bad(4)]);
    const half = acquire(open, 20_000, settings).state;
    const closed = recordOutcome(half, ok(20_100), settings);
    expect(closed.state).toBe('closed');
    expect(windowStats(closed, settings, 20_100)).toMatchObject({ requests: 1, failures: 0 });
    const reopened = recordOutcome(half, bad(20_100), settings);
    expect(reopened.state).toBe('open');
    expect(reopened.openedAt).toBe(20_100);
    expect(reopened.transitions.map((t) => `${t.from}>${t.to}`)).toEqual([
      'closed>open',
      'open>half_open',
      'half_open>open',
    ]);
  });

  it("holds a probe slower than openMs until its caller's bound: never two probes at once", () => {
    const open = feed(initialBreaker(), [bad(1), bad(2), bad(3), bad(4)]);
    // The asker's call may take until 40 s (its deadline and the report's delay).
    const probe = acquire(open, 14_001, settings, 40_000);
    expect(probe).toMatchObject({ allow: true, probe: true });
    // Past openMs, but the probe is still out: refused (before the fix, a second probe).
    expect(acquire(probe.state, 24_002, settings, 50_000).allow).toBe(false);
    expect(acquire(probe.state, 39_999, settings).allow).toBe(false);
    // Never reported by then (its worker died): the next asker probes.
    expect(acquire(probe.state, 40_000, settings)).toMatchObject({ allow: true, probe: true });
    // A bound shorter than openMs still holds the probe for openMs.
    const short = acquire(open, 14_001, settings, 15_000).state;
    expect(acquire(short, 24_000, settings).allow).toBe(false);
  });

  it("only the probe's outcome decides a half-open circuit", () => {
    const open = feed(initialBreaker(), [bad(1), bad(2), bad(3), bad(4)]);
    const half = acquire(open, 20_000, settings, 30_000).state;
    // A call let through before the circuit opened, reported late: recorded, decides nothing.
    const late = [
      { ...ok(20_050), probe: false },
      { ...bad(20_060), probe: false },
    ].reduce((acc, o) => recordOutcome(acc, o, settings), half);
    expect(late).toMatchObject({ state: 'half_open', probeInFlight: true, probeUntil: 30_000 });
    expect(late.outcomes).toHaveLength(6);
    expect(acquire(late, 25_000, settings).allow).toBe(false);
    const closed = recordOutcome(late, { ...ok(20_100), probe: true }, settings);
    expect(closed.state).toBe('closed');
    expect(closed.transitions.at(-1)?.reason).toBe('probe succeeded');
    const reopened = recordOutcome(late, { ...bad(20_100), probe: true }, settings);
    expect(reopened).toMatchObject({ state: 'open', openedAt: 20_100, probeInFlight: false });
  });

  it('reports latency percentiles over successful calls', () => {
    const s = feed(
      initialBreaker(),
      Array.from({ length: 100 }, (_, i) => ok(i + 1, i + 1)),
    );
    expect(windowStats(s, settings, 100).latencyMs).toEqual({ p50: 50, p95: 95, p99: 99 });
  });
});

describe('adaptiveTimeoutMs', () => {
  const stats = (p95: number | null, requests = 10) => ({
    requests,
    failures: 0,
    errorRate: 0,
    slowRate: 0,
    latencyMs: { p50: p95, p95, p99: p95 },
  });
  const bounds = { minMs: 1_500, maxMs: 7_500, minRequests: 5, estimatedInputTokens: 0 };

  it('is p95 × 2, scaled by prompt size, within bounds', () => {
    expect(adaptiveTimeoutMs(stats(2_000), bounds)).toBe(4_000);
    expect(adaptiveTimeoutMs(stats(2_000), { ...bounds, estimatedInputTokens: 2_000 })).toBe(6_000);
    expect(adaptiveTimeoutMs(stats(100), bounds)).toBe(1_500);
    expect(adaptiveTimeoutMs(stats(9_000), bounds)).toBe(7_500);
  });

  it('keeps the generous maximum until there are enough samples', () => {
    expect(adaptiveTimeoutMs(stats(null, 0), bounds)).toBe(7_500);
    expect(adaptiveTimeoutMs(stats(100, 3), bounds)).toBe(7_500);
  });
});
