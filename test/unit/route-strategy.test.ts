import { describe, expect, it } from 'vitest';
import {
  applyRouteStrategy,
  estimatedCallUsd,
  EXPLORE_SHARE,
  type LatencyFacts,
  type StrategyCandidate,
  type StrategyFacts,
} from '../../shared/policy/route-strategy';
import type { RoutingSpec } from '../../shared/contracts/job';

const c = (ref: string, extra: Partial<StrategyCandidate> = {}): StrategyCandidate => {
  const [provider = '', model = ''] = ref.split(':');
  return { provider, model, ...extra };
};
const refs = (list: readonly StrategyCandidate[]): string[] =>
  list.map((x) => `${x.provider}:${x.model}`);

function facts(
  over: Partial<StrategyFacts<StrategyCandidate>> & {
    latency?: Record<string, LatencyFacts>;
    cost?: Record<string, number>;
  } = {},
): StrategyFacts<StrategyCandidate> {
  return {
    draw: 0.5,
    minRequests: 5,
    latencyOf: (x) => over.latency?.[`${x.provider}:${x.model}`],
    costOf: (x) => over.cost?.[`${x.provider}:${x.model}`],
    ...over,
  };
}

const ROUTE = [c('a:one'), c('b:two'), c('c:three'), c('local:keel-local-1', { inProcess: true })];

describe('applyRouteStrategy', () => {
  it('keeps the route as given without a spec and for `ordered`', () => {
    for (const spec of [undefined, { strategy: 'ordered' } as const]) {
      const out = applyRouteStrategy(ROUTE, spec, facts({ cost: { 'c:three': 0 } }));
      expect(refs(out.candidates)).toEqual(refs(ROUTE));
      expect(out.choice.strategy).toBe('ordered');
    }
  });

  it('lowest-cost: the cheapest external first; the in-process model keeps its place', () => {
    const out = applyRouteStrategy(
      ROUTE,
      { strategy: 'lowest-cost' },
      facts({ cost: { 'a:one': 0.02, 'b:two': 0.001, 'c:three': 0.005, 'local:keel-local-1': 0 } }),
    );
    expect(refs(out.candidates)).toEqual(['b:two', 'c:three', 'a:one', 'local:keel-local-1']);
    expect(out.choice.order).toEqual(refs(out.candidates));
    expect(out.choice.reason).toContain('b:two');
  });

  it('lowest-cost: an unknown price goes last, ties keep the route order', () => {
    const out = applyRouteStrategy(
      ROUTE.slice(0, 3),
      { strategy: 'lowest-cost' },
      facts({ cost: { 'b:two': 0.01, 'c:three': 0.01 } }),
    );
    expect(refs(out.candidates)).toEqual(['b:two', 'c:three', 'a:one']);
  });

  it('never puts a candidate with an open circuit first', () => {
    const route = [c('a:one'), c('b:two', { skip: 'circuit open' }), c('c:three')];
    const cost = applyRouteStrategy(
      route,
      { strategy: 'lowest-cost' },
      facts({ cost: { 'a:one': 3, 'b:two': 1, 'c:three': 2 } }),
    );
    expect(refs(cost.candidates)).toEqual(['c:three', 'a:one', 'b:two']);
    const weighted = applyRouteStrategy(
      route,
      { strategy: 'weighted', weights: { 'b:two': 100, 'c:three': 1 } },
      facts({ draw: 0.1 }),
    );
    expect(refs(weighted.candidates)[0]).toBe('c:three');
  });

  describe('weighted', () => {
    const spec: RoutingSpec = { strategy: 'weighted', weights: { 'a:one': 3, 'b:two': 1 } };

    it('picks the first by the draw over the cumulative weights; the rest follow in route order', () => {
      const at = (draw: number): string[] =>
        refs(applyRouteStrategy(ROUTE, spec, facts({ draw })).candidates);
      expect(at(0)).toEqual(['a:one', 'b:two', 'c:three', 'local:keel-local-1']);
      expect(at(0.74)).toEqual(['a:one', 'b:two', 'c:three', 'local:keel-local-1']);
      expect(at(0.75)).toEqual(['b:two', 'a:one', 'c:three', 'local:keel-local-1']);
      expect(at(0.999999)).toEqual(['b:two', 'a:one', 'c:three', 'local:keel-local-1']);
    });

    it('spreads first places by weight over many draws; an unnamed candidate is never first', () => {
      const counts: Record<string, number> = {};
      for (let i = 0; i < 1000; i++) {
        const first = refs(
          applyRouteStrategy(ROUTE, spec, facts({ draw: i / 1000 })).candidates,
        )[0]!;
        counts[first] = (counts[first] ?? 0) + 1;
      }
      expect(counts).toEqual({ 'a:one': 750, 'b:two': 250 });
    });

    it('weighs every candidate equally without weights', () => {
      const firsts = [0.1, 0.4, 0.8].map(
        (draw) =>
          refs(applyRouteStrategy(ROUTE, { strategy: 'weighted' }, facts({ draw })).candidates)[0],
      );
      expect(firsts).toEqual(['a:one', 'b:two', 'c:three']);
    });

    it('keeps the route order when no candidate has a weight', () => {
      const out = applyRouteStrategy(
        ROUTE,
        { strategy: 'weighted', weights: { 'z:x': 2 } },
        facts(),
      );
      expect(refs(out.candidates)).toEqual(refs(ROUTE));
    });
  });

  describe('lowest-latency', () => {
    const latency: Record<string, LatencyFacts> = {
      'a:one': { requests: 20, p50: 800, p95: 2000 },
      'b:two': { requests: 20, p50: 150, p95: 400 },
      'c:three': { requests: 2, p50: 10, p95: 10 },
    };

    it('measured candidates by p50; one with too few calls after them', () => {
      const out = applyRouteStrategy(ROUTE, { strategy: 'lowest-latency' }, facts({ latency }));
      expect(refs(out.candidates)).toEqual(['b:two', 'a:one', 'c:three', 'local:keel-local-1']);
      expect(out.choice.reason).toContain('b:two p50 150 ms');
    });

    it(`tries an unmeasured candidate first on ${EXPLORE_SHARE * 100} % of draws`, () => {
      const out = applyRouteStrategy(
        ROUTE,
        { strategy: 'lowest-latency' },
        facts({ latency, draw: EXPLORE_SHARE / 2 }),
      );
      expect(refs(out.candidates)).toEqual(['c:three', 'b:two', 'a:one', 'local:keel-local-1']);
    });

    it('counts a candidate whose calls all failed as the slowest', () => {
      const out = applyRouteStrategy(
        ROUTE.slice(0, 2),
        { strategy: 'lowest-latency' },
        facts({
          latency: { 'a:one': { requests: 9, p50: null, p95: null }, 'b:two': latency['a:one']! },
        }),
      );
      expect(refs(out.candidates)).toEqual(['b:two', 'a:one']);
    });

    it('keeps the route order while nothing is measured', () => {
      const out = applyRouteStrategy(ROUTE, { strategy: 'lowest-latency' }, facts());
      expect(refs(out.candidates)).toEqual(refs(ROUTE));
    });
  });

  it('returns the same candidate objects, none lost', () => {
    const out = applyRouteStrategy(
      ROUTE,
      { strategy: 'lowest-cost' },
      facts({ cost: { 'c:three': 1 } }),
    );
    expect(new Set(out.candidates)).toEqual(new Set(ROUTE));
  });
});

describe('estimatedCallUsd', () => {
  it('prices the prompt and the maximum output per million tokens', () => {
    expect(estimatedCallUsd({ input: 2, output: 8 }, { input: 1_000, maxOutput: 500 })).toBeCloseTo(
      0.006,
      10,
    );
  });
});
