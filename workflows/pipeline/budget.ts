import type { TaskPlan } from '../../activities';
import type { TaskOptions } from '../../shared/contracts/job';

/** Kept back from the sync envelope for the downgrades, which run after every candidate. */
export const DEGRADE_RESERVE_MS = 300;

/**
 * The deadline budget: the sync envelope divided between the candidates that will be called.
 * The k-th (0-based) of n must be over by admission + (k + 1)/n of the envelope, so each one
 * leaves the later ones their equal share, and a candidate that fails fast hands its time on.
 * Each attempt's total deadline (connect, first byte, the whole body) is the earlier of this and
 * its own timeout (`activities/models/attempt-deadline.ts`); a budget already spent (the caller
 * has its 202) no longer bounds anything but the candidate's own timeout.
 *
 * Pure arithmetic on the plan: no clock in workflow code. Undefined when there is no sync caller
 * to answer (`maxSyncMs: 0`) or the plan predates the budget.
 */
export function candidateDeadlines(
  plan: Pick<TaskPlan, 'admittedAt' | 'maxSyncMs' | 'candidates' | 'degrade'>,
  options: Pick<TaskOptions, 'maxSyncMs'>,
): (liveIndex: number) => number | undefined {
  const envelope = plan.maxSyncMs;
  const syncMs = envelope === undefined ? 0 : Math.min(options.maxSyncMs ?? envelope, envelope);
  const live = plan.candidates.filter((c) => !c.skip).length;
  const budget = syncMs - (plan.degrade.length > 0 ? DEGRADE_RESERVE_MS : 0);
  if (budget <= 0 || live === 0) return () => undefined;
  return (k) => plan.admittedAt + Math.round((budget * Math.min(k + 1, live)) / live);
}
