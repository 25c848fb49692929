import type { RouteStrategy, RoutingSpec } from '../contracts/job';
import type { RouteCandidate } from './routing';

/**
 * Routing strategies: the order in which a route's candidates are tried for one job. Pure: the
 * admission activity gathers the facts (latency windows, prices, one random draw) and records the
 * order it gets back in the plan, so a replay never draws or measures again. See docs/routing.md.
 *
 * Rules every strategy keeps:
 * - in-process candidates (the built-in model, a route's last resort) keep their places; the
 *   strategy orders the external candidates in the remaining places;
 * - a candidate whose circuit is open (`skip`) is never put first while another can be called;
 * - ties keep the route's order, so `ordered` is also every strategy's fallback.
 */

/** A candidate as the strategy sees it: where it runs and whether it is skipped. */
export interface StrategyCandidate extends RouteCandidate {
  inProcess?: boolean;
  skip?: string;
}

/** A candidate's latency window (`WindowStats` of the breaker), as far as the strategy needs it. */
export interface LatencyFacts {
  /** Calls in the window, failed ones included. */
  requests: number;
  /** p50 and p95 of the successful calls; null without any. */
  p50: number | null;
  p95: number | null;
}

export interface StrategyFacts<C> {
  /**
   * One uniform draw in [0, 1), made by the activity: which candidate `weighted` puts first, and
   * whether `lowest-latency` tries an unmeasured candidate first.
   */
  draw: number;
  /** The candidate's observed latency; undefined when nothing is known. */
  latencyOf(c: C): LatencyFacts | undefined;
  /** Fewer calls than this in the window: the latency is not known yet. */
  minRequests: number;
  /** Estimated USD of one call (the prompt's tokens and the model's maximum output). */
  costOf(c: C): number | undefined;
}

/** What was decided, recorded in the plan (and readable in the job's history). */
export interface RouteChoice {
  strategy: RouteStrategy;
  /** The candidates in the order chosen, as `provider:model`. */
  order: string[];
  /** Why the first candidate is first, in one line. */
  reason: string;
}

/** `lowest-latency`: how often an unmeasured candidate goes first, to learn its latency. */
export const EXPLORE_SHARE = 0.1;

const ref = (c: RouteCandidate): string => `${c.provider}:${c.model}`;

/** Candidates that may go first (not skipped) before the rest, each group in route order. */
function callableFirst<C extends StrategyCandidate>(list: readonly C[]): C[] {
  return [...list.filter((c) => !c.skip), ...list.filter((c) => c.skip)];
}

interface Ordering<C> {
  order: C[];
  reason: string;
}

function weighted<C extends StrategyCandidate>(
  movable: readonly C[],
  spec: RoutingSpec,
  draw: number,
): Ordering<C> {
  const weightOf = (c: C): number => (spec.weights ? (spec.weights[ref(c)] ?? 0) : 1);
  const eligible = movable.filter((c) => !c.skip && weightOf(c) > 0);
  const total = eligible.reduce((sum, c) => sum + weightOf(c), 0);
  if (total <= 0) return { order: callableFirst(movable), reason: 'no candidate has a weight' };
  let point = Math.min(Math.max(draw, 0), 1 - Number.EPSILON) * total;
  const chosen =
    eligible.find((c) => {
      point -= weightOf(c);
      return point < 0;
    }) ?? eligible[eligible.length - 1]!;
  return {
    order: [chosen, ...callableFirst(movable.filter((c) => c !== chosen))],
    reason: `draw ${draw.toFixed(3)} picked ${ref(chosen)} (weight ${weightOf(chosen)} of ${total})`,
  };
}

function lowestLatency<C extends StrategyCandidate>(
  movable: readonly C[],
  facts: StrategyFacts<C>,
): Ordering<C> {
  const ranked = movable.map((c, index) => {
    const stats = facts.latencyOf(c);
    const measured = !!stats && stats.requests >= facts.minRequests;
    // Calls in the window but none succeeded: known, and the slowest of all.
    const p50 = measured ? (stats.p50 ?? Infinity) : Infinity;
    const p95 = measured ? (stats.p95 ?? Infinity) : Infinity;
    return { c, index, measured, p50, p95 };
  });
  const callable = ranked.filter((r) => !r.c.skip);
  const measured = callable
    .filter((r) => r.measured)
    .sort((a, b) => a.p50 - b.p50 || a.p95 - b.p95 || a.index - b.index);
  const unmeasured = callable.filter((r) => !r.measured);
  const skipped = ranked.filter((r) => r.c.skip).map((r) => r.c);
  if (measured.length === 0)
    return {
      order: [...movable.filter((c) => !c.skip), ...skipped],
      reason: 'no latency known yet',
    };
  const explore = unmeasured.length > 0 && facts.draw < EXPLORE_SHARE;
  const first = explore ? unmeasured : measured;
  const then = explore ? measured : unmeasured;
  const best = measured[0]!;
  return {
    order: [...first.map((r) => r.c), ...then.map((r) => r.c), ...skipped],
    reason: explore
      ? `${ref(unmeasured[0]!.c)} has fewer than ${facts.minRequests} calls in the window: tried first to learn its latency`
      : `${ref(best.c)} p50 ${best.p50} ms${measured[1] ? `, next ${ref(measured[1].c)} p50 ${measured[1].p50} ms` : ''}`,
  };
}

function lowestCost<C extends StrategyCandidate>(
  movable: readonly C[],
  facts: StrategyFacts<C>,
): Ordering<C> {
  const ranked = movable
    .map((c, index) => ({ c, index, cost: facts.costOf(c) ?? Infinity }))
    .sort((a, b) => a.cost - b.cost || a.index - b.index)
    .map((r) => r.c);
  const order = callableFirst(ranked);
  const first = order[0]!;
  const cost = facts.costOf(first);
  return {
    order,
    reason: `${ref(first)} estimated at $${cost === undefined ? '?' : cost.toPrecision(3)} a call`,
  };
}

/**
 * Orders a route's candidates by the strategy. Without a spec, or `ordered`, the route's own
 * order. The result holds the same candidates (same objects), none dropped or added.
 */
export function applyRouteStrategy<C extends StrategyCandidate>(
  candidates: readonly C[],
  spec: RoutingSpec | undefined,
  facts: StrategyFacts<C>,
): { candidates: C[]; choice: RouteChoice } {
  const strategy = spec?.strategy ?? 'ordered';
  const movable = candidates.filter((c) => !c.inProcess);
  let ordering: Ordering<C>;
  if (strategy === 'ordered' || !spec || movable.length < 2)
    ordering = { order: movable, reason: 'the route’s order' };
  else if (strategy === 'weighted') ordering = weighted(movable, spec, facts.draw);
  else if (strategy === 'lowest-latency') ordering = lowestLatency(movable, facts);
  else ordering = lowestCost(movable, facts);
  // In-process candidates stay where the route put them; the others fill the other places.
  const queue = [...ordering.order];
  const result = candidates.map((c) => (c.inProcess ? c : queue.shift()!));
  return {
    candidates: result,
    choice: { strategy, order: result.map(ref), reason: ordering.reason },
  };
}

/** USD of one call at `price` (per million tokens): the prompt plus the maximum output. */
export function estimatedCallUsd(
  price: { input: number; output: number },
  tokens: { input: number; maxOutput: number },
): number {
  return (tokens.input * price.input + tokens.maxOutput * price.output) / 1_000_000;
}
