import { proxyActivities, proxyLocalActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { NON_RETRYABLE_FAILURES } from '../../shared/contracts/errors';

/**
 * Admission, validation and recording are fast, CPU-only steps: they run as local activities (in
 * the worker that runs the workflow, recorded as markers in the history, no task-queue round
 * trip). Model calls run locally while they fit a workflow task and continue as regular
 * activities when they must retry (`pipeline/call.ts` has the rule).
 */
const BOOKKEEPING_TIMEOUT = '10 seconds';
const BOOKKEEPING_RETRY = {
  maximumAttempts: 3,
  nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
};

/** Attempts per route candidate before moving on to the next one. */
export const MAX_ATTEMPTS_PER_CANDIDATE = 2;

export const {
  admitRequest,
  screenInput,
  prepareTask,
  validateOutput,
  recordResult,
  findLastGood,
  closeTenancy,
  publishJobEnd,
  readInjectionVerdict,
  readVerifierVerdict,
} = proxyLocalActivities<Activities>({
  startToCloseTimeout: BOOKKEEPING_TIMEOUT,
  retry: BOOKKEEPING_RETRY,
});

/** Retries of one route candidate's call, the same whether it runs as an activity or locally. */
const MODEL_CALL_RETRY: RetryPolicy = {
  maximumAttempts: MAX_ATTEMPTS_PER_CANDIDATE,
  initialInterval: '200 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '5 seconds',
  nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
};

/**
 * An external model call as a regular activity with the candidate's timeout: the whole of an old
 * history's call, or what is left of a new one's after its local first attempt (`attempts`).
 */
export function modelCaller(
  timeoutMs: number,
  attempts = MAX_ATTEMPTS_PER_CANDIDATE,
): Activities['callModel'] {
  return proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    // callModel heartbeats every second (the SDK sends at most one per 4 s, 0.8 × this timeout):
    // a dead worker is noticed in 5 s, not at the timeout, and cancellation reaches the HTTP call.
    heartbeatTimeout: '5 seconds',
    retry: { ...MODEL_CALL_RETRY, maximumAttempts: attempts },
  }).callModel;
}

/**
 * A model call as a local activity: in the worker running the workflow, no task-queue round
 * trip, so the happy path completes in one workflow task. The in-process `local` model always
 * runs this way (with its retries); an external call runs this way once (`attempts: 1`) when it
 * fits a workflow task, and a retry continues as a regular activity (see `pipeline/call.ts`).
 */
export function localModelCaller(
  timeoutMs: number,
  attempts = MAX_ATTEMPTS_PER_CANDIDATE,
): Activities['callModel'] {
  return proxyLocalActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    retry: { ...MODEL_CALL_RETRY, maximumAttempts: attempts },
  }).callModel;
}
