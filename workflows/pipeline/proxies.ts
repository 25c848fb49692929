import { proxyActivities, proxyLocalActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { NON_RETRYABLE_FAILURES } from '../../shared/contracts/errors';

/**
 * Admission, validation and recording are fast, CPU-only steps: they run as local activities (in
 * the worker that runs the workflow, recorded as markers in the history, no task-queue round
 * trip). Model calls stay regular activities: they need their own timeouts, retries across
 * workers, and cancellation.
 */
const BOOKKEEPING_TIMEOUT = '10 seconds';
const BOOKKEEPING_RETRY = {
  maximumAttempts: 3,
  nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
};

/** Attempts per route candidate before moving on to the next one. */
const MAX_ATTEMPTS_PER_CANDIDATE = 2;

export const {
  admitRequest,
  screenInput,
  prepareTask,
  validateOutput,
  recordResult,
  findLastGood,
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

/** An external model call: a regular activity with the candidate's adaptive timeout. */
export function modelCaller(timeoutMs: number): Activities['callModel'] {
  return proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    // callModel heartbeats every second (the SDK sends at most one per 4 s, 0.8 × this timeout):
    // a dead worker is noticed in 5 s, not at the timeout, and cancellation reaches the HTTP call.
    heartbeatTimeout: '5 seconds',
    retry: MODEL_CALL_RETRY,
  }).callModel;
}

/**
 * The in-process `local` model runs as a local activity: no task-queue round trip and no second
 * workflow task, the whole task completes in one workflow task. External providers stay regular
 * activities (heartbeats carry cancellation to the HTTP call; retries survive a worker's death).
 */
export function localModelCaller(timeoutMs: number): Activities['callModel'] {
  return proxyLocalActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    retry: MODEL_CALL_RETRY,
  }).callModel;
}
