import type { TaskPlan } from '../../activities';
import type { TaskOptions } from '../../shared/contracts/job';

/**
 * The deadline budget: the sync envelope divided between the candidates that will be called.
 * The k-th (0-based) of n must be over by admission + (k + 1)/n of the envelope, so each one
 * leaves the later ones their equal share, and a candidate that fails fast hands its time on.
 * The last candidate has no share to leave: it runs on its own timeout, and a caller whose wait
 * ends first gets its 202 while the work goes on (cutting it would only trade its answer for a
 * downgrade or a failure).
 * Each attempt's total deadline (connect, first byte, the whole body) is the earlier of this and
 * its own timeout (`activities/models/attempt-deadline.ts`); a budget already spent (the caller
 * has its 202) no longer bounds anything but the candidate's own timeout.
 *
 * Pure arithmetic on the plan: no clock in workflow code. Undefined when there is no sync caller
 * to answer (`maxSyncMs: 0`) or the plan predates the budget.
 */
export function candidateDeadlines(
  plan: Pick<TaskPlan, 'admittedAt' | 'maxSyncMs' | 'candidates'>,
  options: Pick<TaskOptions, 'maxSyncMs'>,
): (liveIndex: number) => number | undefined {
  const envelope = plan.maxSyncMs;
  const syncMs = envelope === undefined ? 0 : Math.min(options.maxSyncMs ?? envelope, envelope);
  const live = plan.candidates.filter((c) => !c.skip).length;
  if (syncMs <= 0 || live < 2) return () => undefined;
  return (k) =>
    k < live - 1 ? plan.admittedAt + Math.round((syncMs * (k + 1)) / live) : undefined;
}
