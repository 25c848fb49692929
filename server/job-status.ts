import { WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';
import { FailureType } from '../shared/errors';
import { JobStatus } from '../shared/contracts/job';
import { SearchAttr } from '../shared/messages';
import { ProblemError, type Problem } from './problem';

/** Maps a failed workflow to the caller's problem. Messages are Keel's own, never model text. */
export function problemForFailure(err: unknown, jobId: string): ProblemError {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details ?? [];
    switch (cause.type) {
      case FailureType.InvalidInput:
        return new ProblemError(400, 'invalid-request', 'Invalid request', cause.message, {
          jobId,
          errors: Array.isArray(details[0]) ? (details[0] as Problem['errors']) : [],
        });
      case FailureType.UnknownProvider:
      case FailureType.UnknownModel:
        return new ProblemError(400, 'invalid-route', 'Invalid route', cause.message, {
          jobId,
          errors: Array.isArray(details[0]) ? (details[0] as Problem['errors']) : [],
        });
      case FailureType.InputRejected:
        return new ProblemError(422, 'input-rejected', 'Input refused by policy', cause.message, {
          jobId,
          errors: Array.isArray(details[0]) ? (details[0] as Problem['errors']) : [],
        });
      case FailureType.OutputRejected:
        return new ProblemError(
          422,
          'output-rejected',
          'The answer broke a rule',
          'The model’s answer broke a business rule whose action is reject.',
          { jobId, errors: Array.isArray(details[0]) ? (details[0] as Problem['errors']) : [] },
        );
      case FailureType.ReviewRejected: {
        const audit = details[0] as { reviewer?: string; comment?: string } | undefined;
        return new ProblemError(
          422,
          'review-rejected',
          'Rejected by a reviewer',
          'A reviewer rejected the answer.',
          { jobId, reviewer: audit?.reviewer, comment: audit?.comment },
        );
      }
      case FailureType.ReviewExpired:
        return new ProblemError(
          422,
          'review-expired',
          'Review deadline passed',
          'No reviewer decided before the deadlines, and the policy rejects the task.',
          { jobId },
        );
      case FailureType.AllCandidatesFailed: {
        const reasons = (details[0] as { reasons?: string[] } | undefined)?.reasons ?? [];
        return new ProblemError(
          502,
          'all-candidates-failed',
          'No model produced a valid answer',
          cause.message,
          { jobId, reasons },
        );
      }
      default:
        return new ProblemError(500, 'task-failed', 'Task failed', cause.message, { jobId });
    }
  }
  if (cause instanceof TimeoutFailure) {
    return new ProblemError(
      504,
      'task-timed-out',
      'Task timed out',
      'The task exceeded its hard timeout.',
      { jobId },
    );
  }
  if (cause instanceof CancelledFailure || cause instanceof TerminatedFailure) {
    return new ProblemError(
      409,
      'task-cancelled',
      'Task cancelled',
      'The task was cancelled before it finished.',
      { jobId },
    );
  }
  return new ProblemError(
    500,
    'task-failed',
    'Task failed',
    'The task failed; see the job in the Temporal Web UI.',
    { jobId },
  );
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
