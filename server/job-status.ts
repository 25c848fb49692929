import { WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';
import { PROBLEMS, problemSlugForFailure } from '../shared/contracts/problems';
import { FailureType } from '../shared/contracts/errors';
import { JobStatus } from '../shared/contracts/job';
import { SearchAttr } from '../shared/contracts/messages';
import { ProblemError, type Problem } from './problem';

/** Maps a failed workflow to the caller's problem. Messages are Keel's own, never model text. */
export function problemForFailure(err: unknown, jobId: string): ProblemError {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const slug = problemSlugForFailure(cause.type);
    // A problem with a fixed detail in the table says that; the others quote Keel's failure.
    const detail = PROBLEMS[slug].detail ?? cause.message;
    return ProblemError.of(slug, detail, { jobId, ...failureExtras(cause) });
  }
  if (cause instanceof TimeoutFailure)
    return ProblemError.of('task-timed-out', undefined, { jobId });
  if (cause instanceof CancelledFailure || cause instanceof TerminatedFailure) {
    return ProblemError.of('task-cancelled', undefined, { jobId });
  }
  return ProblemError.of('task-failed', 'The task failed; see the job in the Temporal Web UI.', {
    jobId,
  });
}

/** The extension members a failure carries in its details (field errors, reviewer, reasons). */
function failureExtras(cause: ApplicationFailure): Partial<Problem> {
  const first: unknown = (cause.details ?? [])[0];
  const errors = (): Problem['errors'] =>
    Array.isArray(first) ? (first as Problem['errors']) : [];
  switch (cause.type) {
    case FailureType.InvalidInput:
    case FailureType.UnknownProvider:
    case FailureType.UnknownModel:
    case FailureType.InputRejected:
    case FailureType.OutputRejected:
      return { errors: errors() };
    case FailureType.ReviewRejected: {
      const audit = first as { reviewer?: string; comment?: string } | undefined;
      return { reviewer: audit?.reviewer, comment: audit?.comment };
    }
    case FailureType.PolicyDenied: {
      const denied = first as { rule?: string; dataClass?: string } | undefined;
      return { rule: denied?.rule, dataClass: denied?.dataClass };
    }
    case FailureType.AllCandidatesFailed:
      return { reasons: (first as { reasons?: string[] } | undefined)?.reasons ?? [] };
    default:
      return {};
  }
}

export function statusOf(desc: WorkflowExecutionDescription): JobStatus {
  switch (desc.status.name) {
    case 'RUNNING':
      return desc.typedSearchAttributes.get(SearchAttr.status) === JobStatus.awaitingReview
        ? JobStatus.awaitingReview
        : JobStatus.running;
    case 'CONTINUED_AS_NEW':
    case 'UNSPECIFIED':
    case 'PAUSED':
      return JobStatus.running;
    case 'COMPLETED':
      return JobStatus.completed;
    case 'FAILED':
      return JobStatus.failed;
    case 'CANCELLED':
    case 'TERMINATED':
      return JobStatus.cancelled;
    case 'TIMED_OUT':
      return JobStatus.timedOut;
    default:
      return JobStatus.running;
  }
}

/** A job in one of these statuses has ended: nothing more will happen to it. */
export function hasEnded(status: JobStatus): boolean {
  return status !== JobStatus.running && status !== JobStatus.awaitingReview;
}
