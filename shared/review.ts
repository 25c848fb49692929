import { z } from 'zod';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { ReviewAudit, ReviewDecisionKind, type Issue } from './job';

export { ReviewAudit, ReviewDecisionKind };

/**
 * Human review: a task whose answer a person must see waits, durably, for a decision sent as a
 * Temporal Update. An update (not a signal) because the caller needs an answer: an edited output
 * that fails validation is refused (422) and the task keeps waiting; a second decision is refused
 * (409); a decision that is accepted is acknowledged only once it is in the history.
 */

export const ReviewDecisionBody = z
  .object({
    decision: ReviewDecisionKind,
    output: z.unknown().optional().describe('The corrected output; required for `edit`.'),
    comment: z.string().trim().max(2_000).optional(),
  })
  .strict()
  .refine((d) => d.decision !== 'edit' || d.output !== undefined, {
    message: 'required when the decision is edit',
    path: ['output'],
  });
export type ReviewDecisionBody = z.infer<typeof ReviewDecisionBody>;

/** What reaches the workflow: the body plus who decided (the server authenticates them). */
export interface ReviewDecision extends ReviewDecisionBody {
  reviewer: string;
  tenantId: string;
}

/** Published in the workflow memo while waiting: listable through visibility, no content. */
export interface ReviewSummary {
  task: string;
  reasons: string[];
  requestedAt: number;
  deadlineAt: number;
  group: 'reviewers' | 'escalation';
}

/** Everything a reviewer sees for one item (`GET /v1/reviews/{jobId}`). */
export interface ReviewItem extends ReviewSummary {
  jobId: string;
  /** The input with PII masked as the tenant's policy says. */
  input: unknown;
  proposed: unknown;
  validation?: Record<string, unknown>;
  issues: Issue[];
  decided: boolean;
}

export const reviewDecisionUpdate = defineUpdate<ReviewAudit, [ReviewDecision]>('decideReview');
export const getReviewQuery = defineQuery<ReviewItem | undefined>('getReview');

/** Review deadlines per task (minutes to days); the escalation group gets a second one. */
export const ReviewPolicy = z
  .object({
    deadlineMs: z
      .number()
      .int()
      .min(1_000)
      .max(30 * 24 * 3_600_000),
    escalationDeadlineMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3_600_000),
    /** After both deadlines: serve the proposed answer as degraded, or fail the task. */
    onExpiry: z.enum(['degrade', 'reject']),
  })
  .strict();
export type ReviewPolicy = z.infer<typeof ReviewPolicy>;

export const DEFAULT_REVIEW_POLICY: ReviewPolicy = {
  deadlineMs: 24 * 3_600_000,
  escalationDeadlineMs: 24 * 3_600_000,
  onExpiry: 'degrade',
};

/** One entry of a tenant's review queue. */
export interface ReviewQueueEntry extends ReviewSummary {
  jobId: string;
}

export type ReviewQueueEvent =
  { op: 'open'; entry: ReviewQueueEntry } | { op: 'close'; jobId: string };

/**
 * The queue entity (one per deployment and tenant) keeps the pending reviews, so listing a
 * thousand is one query instead of a visibility scan (about 0.6 ms a row on the dev server).
 */
export const reviewQueueSignal = defineSignal<[ReviewQueueEvent]>('reviewQueueEvent');
export const listReviewsQuery = defineQuery<ReviewQueueEntry[]>('listReviews');
export const reviewQueueWorkflowId = (taskQueue: string, tenantId: string): string =>
  `keel-reviews-${taskQueue}-${tenantId}`.replace(/[^A-Za-z0-9._:-]/g, '_');
