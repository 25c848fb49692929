import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../shared/contracts/errors';
import { jitteredBackoffMs, type CallFailureDetails } from './providers/classify-error';

/**
 * Kept back from the activity's own startToClose, so an attempt ends as Keel's classified
 * Timeout (with its details) a moment before Temporal would time it out with a bare failure.
 */
export const ACTIVITY_MARGIN_MS = 50;

/** When one attempt of a model call must be over: connect, first byte and the whole body. */
export interface AttemptDeadline {
  /** Epoch ms, on the activity's clock. */
  at: number;
  /** ms from the attempt's start (≤ 0: nothing left to call with). */
  ms: number;
  /**
   * The task's budget (`deadlineAt`) set it, not the candidate's own timeout: retrying this
   * candidate cannot fit either, so its Timeout is final and the route moves on at once.
   */
  byBudget: boolean;
}

/**
 * The attempt's deadline: the earliest of its start + the candidate's `timeoutMs`, the task's
 * `deadlineAt` (while it is still ahead), and the activity's own startToClose less a margin.
 */
export function attemptDeadline(args: {
  startedAt: number;
  timeoutMs?: number;
  deadlineAt?: number;
  startToCloseMs: number;
}): AttemptDeadline {
  const own = args.startedAt + Math.max(0, args.startToCloseMs - ACTIVITY_MARGIN_MS);
  const candidate =
    args.timeoutMs !== undefined && args.timeoutMs > 0 ? args.startedAt + args.timeoutMs : own;
  const timeoutAt = Math.min(own, candidate);
  // A budget already spent means the sync caller has had its 202: the work goes on, bounded by
  // the candidate's own timeout (and the task's hard timeout), not by a wait nobody is in.
  const live = args.deadlineAt !== undefined && args.deadlineAt > args.startedAt;
  const byBudget = live && args.deadlineAt! < timeoutAt;
  const at = byBudget ? args.deadlineAt! : timeoutAt;
  return { at, ms: at - args.startedAt, byBudget };
}

/**
 * The failure of an attempt whose deadline passed, whatever the SDK threw when its signal fired
 * (an abort error, a silently ended stream, a cut body). Retryable unless the task's budget set
 * the deadline; the message names only the limit, never upstream text.
 */
export function deadlineFailure(
  deadline: AttemptDeadline,
  ctx: { provider: string; model: string; attempt: number; called: boolean },
): ApplicationFailure {
  const details: CallFailureDetails = { provider: ctx.provider, model: ctx.model };
  const limit = deadline.byBudget ? "the task's deadline" : 'the attempt timeout';
  const message = ctx.called
    ? `${FailureType.Timeout}: ${limit} (${Math.max(0, Math.round(deadline.ms))} ms, body included) passed`
    : `${FailureType.Timeout}: no time left before ${limit}, not called`;
  return ApplicationFailure.create({
    type: FailureType.Timeout,
    message,
    nonRetryable: deadline.byBudget,
    nextRetryDelay: deadline.byBudget ? undefined : jitteredBackoffMs(ctx.attempt, Math.random),
    details: [details],
  });
}
