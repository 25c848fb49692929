import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { JobState, JobStep, ResultPath } from '../../shared/contracts/job';
import { SearchAttr } from '../../shared/contracts/messages';

/**
 * Histories recorded before this patch replay along the old path. One id for both changes: each
 * patch costs a marker and an upsert of TemporalChangeVersion in every new history.
 */
const FEWER_ROUND_TRIPS = 'fewer-round-trips-v1';

/**
 * Histories recorded before it closed a run that a failure outside the steps' own handling ended
 * (recording the result, the review's bookkeeping) with its status still `running` or
 * `awaiting_review`, and closed runs while an update handler was still running (issue 21). Only
 * runs that take one of those branches record the marker.
 */
export const CLOSE_CLEANLY = 'close-cleanly-v1';

/**
 * A job cancelled while its route ran (`POST /v1/jobs/{id}/cancel`, a Nexus caller giving up)
 * ends `cancelled`. Before it, the route's catch took the cancellation for the hard timeout, and
 * a job with `allowDegraded: false` ended `failed` (`all-candidates-failed`). Asked only when the
 * job itself is cancelled there.
 */
export const CANCELLED_ON_ROUTE = 'cancelled-on-route-v1';

/**
 * Histories from before it called external models as regular activities only. With it, a call
 * that fits a workflow task runs as a local activity first (see `pipeline/call.ts`), so the happy
 * path completes in one workflow task. It implies `fewer-round-trips-v1`: a history that has it
 * never asks the older patch, so new histories still carry one patch marker.
 */
export const VENDOR_CALLS_LOCAL = 'vendor-calls-local-v1';

/**
 * A job that fails or is cancelled writes its end to the event log (its stream closes, webhooks
 * are told) in a last local activity, and a review it was waiting in is withdrawn from the queue.
 * Asked only on those paths: a completed job's event is written by recordResult, so happy-path
 * histories keep their shape.
 */
export const JOB_END_EVENTS = 'job-end-events-v1';

/** The job as callers see it: the state its query returns and the search attributes that follow. */
export interface Job {
  state: JobState;
  /** Whether this history takes the `fewer-round-trips-v1` path. */
  newPath: boolean;
  /** Whether this history may call external models as local activities (`vendor-calls-local-v1`). */
  vendorCallsLocal: boolean;
  /** The run opened a review (the only steps with update handlers). */
  reviewed?: boolean;
  /** The input's HMAC, once admitted; written with the final status. */
  inputKey?: string;
  step: (s: JobStep) => void;
  finish: (status: 'completed' | 'failed', path?: ResultPath) => void;
  /** Marks the job failed and throws the failure as the workflow's own. */
  fail: (err: unknown) => never;
}

export function openJob(): Job {
  // Asked in this order, and the second only when the first is absent: replay asks exactly what
  // the original run asked, and a new history records one marker.
  const vendorCallsLocal = patched(VENDOR_CALLS_LOCAL);
  const job: Job = {
    state: { status: 'running', steps: [] },
    // Every upsert is a history event and a visibility write on the server: one, at the end.
    newPath: vendorCallsLocal || patched(FEWER_ROUND_TRIPS),
    vendorCallsLocal,
    step: (s) => void job.state.steps.push(s),
    finish: (status, path) => {
      job.state.status = status;
      if (!job.newPath) {
        if (path) upsertSearchAttributes([{ key: SearchAttr.path, value: path }]);
        upsertSearchAttributes([{ key: SearchAttr.status, value: status }]);
        return;
      }
      upsertSearchAttributes([
        { key: SearchAttr.status, value: status },
        ...(path ? [{ key: SearchAttr.path, value: path }] : []),
        ...(job.inputKey ? [{ key: SearchAttr.inputKey, value: job.inputKey }] : []),
      ]);
    },
    fail: (err) => {
      job.finish('failed');
      throw surface(err);
    },
  };
  return job;
}

/** An activity's typed failure (e.g. InvalidInput) becomes the workflow's own. */
function surface(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.cause.message,
      type: err.cause.type ?? undefined,
      details: err.cause.details ?? undefined,
      nonRetryable: true,
    });
  }
  return err;
}
