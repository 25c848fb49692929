import {
  allHandlersFinished,
  CancellationScope,
  isCancellation,
  ApplicationFailure,
  condition,
  patched,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, TaskPlan, ValidationResult } from '../../activities';
import { FailureType } from '../../shared/contracts/errors';
import { JOB_END_EVENTS } from './job';
import type { JobState, JobStep, ReviewAudit, RunTaskRequest } from '../../shared/contracts/job';
import {
  SearchAttr,
  getReviewQuery,
  reviewDecisionUpdate,
  type ReviewDecision,
  type ReviewItem,
  type ReviewSummary,
} from '../../shared/contracts/messages';

const { prepareReview, auditReview, publishReview } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * Histories recorded before it ended the wait on the deadline alone, even while a decision
 * accepted before the deadline was still being validated or audited (issue 21). Asked once, when
 * the review opens: asked at the deadline, only when a decision was in flight, replay could meet
 * the marker in a different place (a local activity's result and the deadline timer can arrive in
 * one workflow task, and replay may apply them in the other order).
 */
const DEADLINE_AFTER_DECISION = 'review-deadline-after-decision-v1';

export type ReviewOutcome =
  | { kind: 'decided'; output: unknown; audit: ReviewAudit }
  | { kind: 'rejected'; expired: boolean; audit?: ReviewAudit }
  | { kind: 'expired' };

/**
 * Waits for a reviewer's decision with a deadline (a durable timer: restarts of the worker,
 * the server or Temporal lose nothing); on the deadline escalates to the second group, then does
 * what the policy says. Decisions arrive as an Update, validated before they are accepted.
 */
export async function awaitReview(args: {
  request: RunTaskRequest;
  plan: TaskPlan;
  proposal: { output: unknown; validation?: ValidationResult };
  reasons: string[];
  state: JobState;
  step: (s: JobStep) => void;
  validateEdit: (output: unknown) => Promise<ValidationResult>;
}): Promise<ReviewOutcome> {
  const { request, plan, proposal, reasons, state, step } = args;
  const honoursDecisionInFlight = patched(DEADLINE_AFTER_DECISION);
  const policy = plan.policy.review;
  const setStatus = (status: JobState['status']): void => {
    state.status = status;
    upsertSearchAttributes([{ key: SearchAttr.status, value: status }]);
  };
  // The clock comes from the activity; the deadlines follow from it (timers fire on time).
  const { input, requestedAt } = await prepareReview({ input: plan.input, policy: plan.policy });
  const summary: ReviewSummary = {
    task: request.task,
    reasons,
    requestedAt,
    deadlineAt: requestedAt + policy.deadlineMs,
    group: 'reviewers',
  };
  let decided: { output: unknown; audit: ReviewAudit } | undefined;
  /** A decision is being audited: later ones are refused (409) unless it fails. */
  let deciding = false;
  /** The last deadline passed: from here on the validator refuses every decision. */
  let closed = false;

  setHandler(getReviewQuery, (): ReviewItem => ({
    ...summary,
    jobId: '',
    input,
    proposed: proposal.output,
    validation: proposal.validation ? { ...proposal.validation.layers } : undefined,
    issues: proposal.validation?.failed?.issues ?? [],
    decided: decided !== undefined,
  }));
  setHandler(
    reviewDecisionUpdate,
    async (d: ReviewDecision): Promise<ReviewAudit> => {
      let output = proposal.output;
      if (d.decision === 'edit') {
        const v = await args.validateEdit(d.output);
        if (!v.ok) {
          throw ApplicationFailure.nonRetryable(
            'The edited output does not pass validation',
            FailureType.ReviewEditInvalid,
            v.failed?.issues ?? [],
          );
        }
        output = v.output;
      } else if (d.decision === 'approve' && proposal.output === undefined) {
        throw ApplicationFailure.nonRetryable(
          'There is no proposed answer to approve: edit one',
          FailureType.ReviewEditInvalid,
          [{ field: 'output', message: 'required: nothing was proposed' }],
        );
      }
      // Two decisions can race through validation: the first to get here wins.
      if (decided || deciding) {
        throw ApplicationFailure.nonRetryable('Already decided', FailureType.ReviewAlreadyDecided);
      }
      deciding = true;
      try {
        const audit = await auditReview({
          decision: d.decision,
          reviewer: d.reviewer,
          ...(d.comment ? { comment: d.comment } : {}),
          reasons,
          group: summary.group,
          proposed: proposal.output,
          output,
        });
        decided = { output, audit };
        return audit;
      } finally {
        // A failed audit decided nothing: the next decision is accepted.
        deciding = false;
      }
    },
    {
      validator: (d: ReviewDecision): void => {
        if (d.tenantId !== request.tenantId)
          throw ApplicationFailure.nonRetryable(
            'Not this tenant’s review',
            FailureType.ReviewNotPending,
          );
        if (decided || deciding)
          throw ApplicationFailure.nonRetryable(
            'Already decided',
            FailureType.ReviewAlreadyDecided,
          );
        // Workflow state, not a clock: replay decides the same way.
        if (closed)
          throw ApplicationFailure.nonRetryable(
            'The review deadline has passed',
            FailureType.ReviewClosed,
          );
      },
    },
  );

  const jobId = workflowInfo().workflowId;
  const publish = (op: 'open' | 'close', outcome?: 'decided' | 'expired'): Promise<void> =>
    publishReview({
      tenantId: request.tenantId,
      event: op === 'open' ? { op, entry: { ...summary, jobId } } : { op, jobId },
      ...(outcome ? { outcome } : {}),
      ...(outcome === 'decided' && decided ? { decision: decided.audit.decision } : {}),
    });
  setStatus('awaiting_review');
  upsertMemo({ review: summary });
  await publish('open');
  step({ name: 'review', outcome: 'ok', detail: `waiting: ${reasons.join('; ')}` });

  let arrived: boolean;
  try {
    arrived = await waitForDecision();
  } catch (err) {
    // A cancelled job withdraws its review: the queue and the job's stream are told.
    if (isCancellation(err) && patched(JOB_END_EVENTS)) {
      await CancellationScope.nonCancellable(() => publish('close')).catch(() => undefined);
    }
    throw err;
  }
  setStatus('running');
  await publish('close', arrived && decided ? 'decided' : 'expired');
  if (!arrived || !decided) {
    step({ name: 'review', outcome: 'failed', detail: `deadline passed: ${policy.onExpiry}` });
    return policy.onExpiry === 'reject' ? { kind: 'rejected', expired: true } : { kind: 'expired' };
  }
  const { audit, output } = decided;
  step({ name: 'review', outcome: 'ok', detail: `${audit.decision} by ${audit.reviewer}` });
  if (audit.decision === 'reject') return { kind: 'rejected', expired: false, audit };
  return { kind: 'decided', output, audit };

  async function waitForDecision(): Promise<boolean> {
    let arrived = await condition(() => decided !== undefined, policy.deadlineMs);
    if (!arrived && policy.escalationDeadlineMs > 0) {
      summary.group = 'escalation';
      summary.deadlineAt = requestedAt + policy.deadlineMs + policy.escalationDeadlineMs;
      upsertMemo({ review: summary });
      await publish('open');
      step({ name: 'review', outcome: 'failed', detail: 'deadline passed: escalated' });
      arrived = await condition(() => decided !== undefined, policy.escalationDeadlineMs);
    }
    if (!arrived) {
      // The deadline and a decision exclude each other: none is accepted from here on, and one
      // accepted before the deadline (still validating or auditing) is waited for and honoured.
      closed = true;
      if (honoursDecisionInFlight) {
        // Both orders converge: a decision whose result arrives with the timer is honoured too.
        await condition(allHandlersFinished);
        arrived = decided !== undefined;
      }
    }
    return arrived;
  }
}
