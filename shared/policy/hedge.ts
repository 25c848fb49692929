import { z } from 'zod';
import type { WindowStats } from './breaker';
import type { PlannedCandidate } from './routing';

/**
 * Hedged calls: when a candidate has not answered by its adaptive p95, the next candidate starts
 * beside it; the first valid answer wins and the other call is cancelled (`workflows/pipeline/
 * hedge.ts`). A policy per task and tenant, off unless a policy turns it on, and never for an
 * expensive model unless that is turned on too. Pure: admission applies it to the plan.
 */
export const HedgePatch = z
  .object({
    /** Start the next candidate when one has not answered by its p95. @default false */
    enabled: z.boolean().optional(),
    /** Models whose output price is above this (USD per million tokens) are expensive. @default 5 */
    expensiveAboveUsdPerMTok: z.number().min(0).optional(),
    /** Hedge when either model of the pair is expensive. @default false */
    expensiveModels: z.boolean().optional(),
  })
  .strict();
export type HedgePatch = z.infer<typeof HedgePatch>;

export type HedgePolicy = Required<HedgePatch>;

export const DEFAULT_HEDGE: HedgePolicy = {
  enabled: false,
  expensiveAboveUsdPerMTok: 5,
  expensiveModels: false,
};

/**
 * The hedge delay: the candidate's observed p95, scaled by prompt size like its timeout
 * (`adaptiveTimeoutMs`). Without `minRequests` successful samples, none: no data, no hedge. A
 * delay that would not come before the call's own timeout is no hedge either.
 */
export function hedgeDelayMs(
  stats: WindowStats,
  bounds: { minRequests: number; estimatedInputTokens: number; timeoutMs: number },
): number | undefined {
  const p95 = stats.latencyMs.p95;
  if (p95 === null || stats.requests - stats.failures < bounds.minRequests) return undefined;
  const delay = Math.max(1, Math.round(p95 * (1 + bounds.estimatedInputTokens / 4000)));
  return delay < bounds.timeoutMs ? delay : undefined;
}

/**
 * Gives a candidate its `hedgeAfterMs` when the policy allows a hedge to the candidate right
 * after it: both are called (neither skipped), and neither is expensive unless the policy says
 * so. The in-process model is never hedged from (it has no latency stats); it may be hedged to.
 */
export function planHedges(
  candidates: readonly PlannedCandidate[],
  args: {
    policy: HedgePolicy | undefined;
    /** The model's output price, USD per million tokens (0 when unknown). */
    outputPriceOf: (c: PlannedCandidate) => number;
    /** The hedge delay of a candidate (`hedgeDelayMs`), if it has one. */
    delayOf: (c: PlannedCandidate) => number | undefined;
  },
): PlannedCandidate[] {
  const policy = args.policy;
  if (!policy?.enabled) return [...candidates];
  const expensive = (c: PlannedCandidate): boolean =>
    !policy.expensiveModels && args.outputPriceOf(c) > policy.expensiveAboveUsdPerMTok;
  return candidates.map((c, i) => {
    const next = candidates[i + 1];
    if (!next || c.skip || next.skip || c.inProcess || expensive(c) || expensive(next)) return c;
    const delay = args.delayOf(c);
    return delay === undefined ? c : { ...c, hedgeAfterMs: delay };
  });
}
