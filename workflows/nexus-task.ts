import {
  ApplicationFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  TerminatedFailure,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunTaskResult } from '../shared/contracts/job';
import type {
  NexusProblemDetails,
  NexusTaskRequest,
  NexusTaskResult,
} from '../shared/contracts/nexus';
import {
  PROBLEM_BASE,
  PROBLEMS,
  problemSlugForFailure,
  type ProblemSlug,
} from '../shared/contracts/problems';
import { taskSearchAttributes } from '../shared/contracts/task-start';
import type { runTask } from './run-task';

/**
 * A Keel task run for a Nexus operation: the job is a child workflow started exactly as the API
 * starts it (same id scheme, search attributes, priority), so `GET /v1/jobs/{id}`, the review
 * queue, usage and the Web UI see it as any other job. This workflow only shapes the operation's
 * result `{jobId, output, meta}` and turns a failed job into its problem: an ApplicationFailure
 * whose `type` is the problem's slug, the problem in its details, Keel's failure as its cause.
 * The caller cancelling the operation cancels this workflow, which cancels the job and waits for
 * it to end (its model call aborted). A request refused at the door (`refusal`) starts no job and
 * fails the same way, so a caller reads every problem from one place.
 */
export async function runNexusTask(args: NexusTaskRequest): Promise<NexusTaskResult<unknown>> {
  const { jobId, request } = args;
  if (args.refusal)
    throw ApplicationFailure.create({
      type: args.refusal.slug,
      message: args.refusal.problem.detail,
      nonRetryable: true,
      details: [args.refusal.problem],
    });
  let result: RunTaskResult;
  try {
    result = await executeChild<typeof runTask>(args.workflowType, {
      workflowId: jobId,
      args: [request],
      taskQueue: workflowInfo().taskQueue,
      typedSearchAttributes: taskSearchAttributes(request),
      priority: args.priority,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    throw problemFailure(err, jobId);
  }
  return { jobId, output: result.output, meta: result.meta };
}

/** A failed job as the problem the HTTP API would answer for it (server/job-status.ts). */
function problemFailure(err: unknown, jobId: string): ApplicationFailure {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  const slug: ProblemSlug =
    cause instanceof ApplicationFailure
      ? problemSlugForFailure(cause.type)
      : cause instanceof TimeoutFailure
        ? 'task-timed-out'
        : cause instanceof TerminatedFailure
          ? 'task-cancelled'
          : 'task-failed';
  const spec = PROBLEMS[slug];
  const detail = spec.detail ?? (cause instanceof Error ? cause.message : spec.title);
  const problem: NexusProblemDetails = {
    type: `${PROBLEM_BASE}${slug}`,
    title: spec.title,
    status: spec.status,
    detail,
    jobId,
  };
  return ApplicationFailure.create({
    type: slug,
    message: detail,
    nonRetryable: true,
    details: [problem],
    ...(cause instanceof Error ? { cause } : {}),
  });
}
