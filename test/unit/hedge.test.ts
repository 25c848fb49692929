import { describe, expect, it } from 'vitest';
import type { WindowStats } from '../../shared/policy/breaker';
import { DEFAULT_HEDGE, hedgeDelayMs, planHedges } from '../../shared/policy/hedge';
import { resolvePolicy } from '../../shared/policy/resolve-policy';
import type { PlannedCandidate } from '../../shared/policy/routing';
import { callModeOf } from '../../workflows/pipeline/call';

const stats = (p95: number | null, requests = 20): WindowStats => ({
  requests,
  failures: 0,
  errorRate: 0,
  slowRate: 0,
  latencyMs: { p50: p95, p95, p99: p95 },
});

const candidate = (model: string, extra: Partial<PlannedCandidate> = {}): PlannedCandidate => ({
  provider: 'openai',
  model,
  timeoutMs: 7_500,
  inProcess: false,
  ...extra,
});

/** gpt-4o-mini at $0.60 per M output tokens, claude-sonnet at $15. */
const PRICES: Record<string, number> = { cheap: 0.6, other: 1.6, pricey: 15 };
const plan = (
  candidates: PlannedCandidate[],
  policy = { ...DEFAULT_HEDGE, enabled: true },
): PlannedCandidate[] =>
  planHedges(candidates, {
    policy,
    outputPriceOf: (c) => PRICES[c.model] ?? 0,
    delayOf: () => 800,
  });

describe('hedge policy', () => {
  it('is off unless a policy turns it on, per tenant and task', () => {
    expect(resolvePolicy({ config: undefined, tenantId: 'acme', task: 't' }).hedge).toBeUndefined();
    const config = { tenants: { acme: { tasks: { t: { hedge: { enabled: true } } } } } };
    expect(resolvePolicy({ config, tenantId: 'acme', task: 't' }).hedge).toEqual({
      ...DEFAULT_HEDGE,
      enabled: true,
    });
    expect(resolvePolicy({ config, tenantId: 'acme', task: 'other' }).hedge).toBeUndefined();
    expect(resolvePolicy({ config, tenantId: 'globex', task: 't' }).hedge).toBeUndefined();
    const off = {
      default: { hedge: { enabled: true } },
      tenants: { acme: { hedge: { enabled: false } } },
    };
    expect(resolvePolicy({ config: off, tenantId: 'acme', task: 't' }).hedge?.enabled).toBe(false);
  });

  it('the delay is the p95 scaled by prompt size; no data or no room before the timeout, no hedge', () => {
    const bounds = { minRequests: 5, estimatedInputTokens: 0, timeoutMs: 7_500 };
    expect(hedgeDelayMs(stats(800), bounds)).toBe(800);
    expect(hedgeDelayMs(stats(800), { ...bounds, estimatedInputTokens: 2_000 })).toBe(1_200);
    expect(hedgeDelayMs(stats(null), bounds)).toBeUndefined();
    expect(hedgeDelayMs(stats(800, 4), bounds)).toBeUndefined();
    expect(hedgeDelayMs(stats(8_000), bounds)).toBeUndefined();
  });

  it('hedges a candidate to the next one when both are called and neither is expensive', () => {
    const route = [candidate('cheap'), candidate('other'), candidate('pricey')];
    expect(plan(route).map((c) => c.hedgeAfterMs)).toEqual([800, undefined, undefined]);
    expect(
      planHedges(route, { policy: undefined, outputPriceOf: () => 0, delayOf: () => 800 }),
    ).toEqual(route);
    expect(plan(route, DEFAULT_HEDGE)).toEqual(route);
    const all = plan(route, { ...DEFAULT_HEDGE, enabled: true, expensiveModels: true });
    expect(all.map((c) => c.hedgeAfterMs)).toEqual([800, 800, undefined]);
    const skipped = [candidate('cheap'), candidate('other', { skip: 'circuit open' })];
    expect(plan(skipped).map((c) => c.hedgeAfterMs)).toEqual([undefined, undefined]);
    const local = [candidate('keel-local-1', { inProcess: true }), candidate('cheap')];
    expect(plan(local).map((c) => c.hedgeAfterMs)).toEqual([undefined, undefined]);
  });

  it('a call in a hedge is a regular activity: a local one would hold the workflow task', () => {
    const args = { inProcess: false, timeoutMs: 1_000, newPath: true, vendorCallsLocal: true };
    expect(callModeOf(args)).toBe('local-then-activity');
    expect(callModeOf({ ...args, hedged: true })).toBe('activity');
    expect(callModeOf({ ...args, inProcess: true, hedged: true })).toBe('local');
  });
});
