import { ApplicationFailure, isCancellation, sleep, TimeoutFailure } from '@temporalio/workflow';
import type { CallModelArgs, CallModelResult } from '../../activities';
import { NON_RETRYABLE_FAILURES } from '../../shared/contracts/errors';
import { failureCause } from '../failure-info';
import { localModelCaller, MAX_ATTEMPTS_PER_CANDIDATE, modelCaller } from './proxies';

/**
 * The longest call timeout that still runs as a local activity: the workflow task timeout
 * (Temporal's default, 10 s). A call within it completes inside the workflow task that started
 * it (at worst after one task heartbeat, which the SDK sends at 80 % of the timeout); a longer
 * one would keep a workflow task open and heartbeating, so it runs as a regular activity.
 */
export const LOCAL_CALL_LIMIT_MS = 10_000;

/** How a candidate's call runs. */
export type CallMode =
  /** The in-process model: a local activity with its retries (nothing leaves the worker). */
  | 'local'
  /** An external call that fits a workflow task: once locally, a retry as a regular activity. */
  | 'local-then-activity'
  /** An external call that does not fit, or any call of a history from before the patch. */
  | 'activity';

/**
 * The rule, in one place. A local first attempt spares the task-queue round trip and the second
 * workflow task of every happy path. A retry continues as a regular activity: it may wait on a
 * Retry-After, it heartbeats (a dead worker is noticed in 5 s), and another worker can take it.
 * If the worker dies during the local attempt, the workflow task times out (10 s) and the next
 * worker runs the attempt again: at most the in-flight call is repeated, as with an activity.
 */
export function callModeOf(args: {
  inProcess: boolean;
  timeoutMs: number;
  /** The history has `fewer-round-trips-v1` (the in-process model runs locally). */
  newPath: boolean;
  /** The history has `vendor-calls-local-v1`. */
  vendorCallsLocal: boolean;
  /**
   * The call is one side of a hedge (`pipeline/hedge.ts`). A local activity holds the workflow
   * task open until it ends, so neither the hedge timer nor the other call's answer could reach
   * the workflow before it: an external call in a hedge is a regular activity.
   */
  hedged?: boolean;
}): CallMode {
  if (args.inProcess) return args.newPath ? 'local' : 'activity';
  return !args.hedged && args.vendorCallsLocal && args.timeoutMs <= LOCAL_CALL_LIMIT_MS
    ? 'local-then-activity'
    : 'activity';
}

/**
 * One candidate's call with its retries, run as `mode` says. `onRetried` accounts for an attempt
 * that failed before the regular activity took over (its attempts, time and billed usage).
 */
export async function callCandidate(
  args: CallModelArgs,
  options: { mode: CallMode; timeoutMs: number; onRetried: (err: unknown) => void },
): Promise<CallModelResult> {
  const { mode, timeoutMs } = options;
  if (mode === 'local') return localModelCaller(timeoutMs)(args);
  if (mode === 'activity') return modelCaller(timeoutMs)(args);
  try {
    return await localModelCaller(timeoutMs, 1)(args);
  } catch (err) {
    if (isCancellation(err) || !retryable(err)) throw err;
    options.onRetried(err);
    // The vendor's Retry-After when it named one (over the budget it is non-retryable), else a
    // jittered pause so that many workflows failing together do not retry together.
    await sleep(retryAfterMsOf(err) ?? 1 + Math.floor(Math.random() * 250));
    return modelCaller(timeoutMs, MAX_ATTEMPTS_PER_CANDIDATE - 1)(args);
  }
}

/** Whether Temporal would have retried the failed attempt. */
function retryable(err: unknown): boolean {
  const cause = failureCause(err);
  if (cause instanceof TimeoutFailure) return true;
  if (!(cause instanceof ApplicationFailure)) return false;
  return (
    !cause.nonRetryable && !(NON_RETRYABLE_FAILURES as readonly string[]).includes(cause.type ?? '')
  );
}

function retryAfterMsOf(err: unknown): number | undefined {
  const cause = failureCause(err);
  const details = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  const ms = (details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof ms === 'number' && ms > 0 ? ms : undefined;
}
