/**
 * The review messages and their payload types, without zod: workflow code imports this module,
 * and every module a workflow imports is evaluated again for each workflow run.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Issue, ReviewAudit } from './job';
import type { ReviewDecisionBody } from './review';

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
export interface ReviewQueueArgs {
  /** Carried over continue-as-new. */
  entries?: ReviewQueueEntry[];
}
/** The queue workflow's type, for clients that start it by name without importing workflow code. */
export type ReviewQueueWorkflow = (args: ReviewQueueArgs) => Promise<void>;

export const reviewQueueSignal = defineSignal<[ReviewQueueEvent]>('reviewQueueEvent');
export const listReviewsQuery = defineQuery<ReviewQueueEntry[]>('listReviews');
export const reviewQueueWorkflowId = (taskQueue: string, tenantId: string): string =>
  `keel-reviews-${taskQueue}-${tenantId}`.replace(/[^A-Za-z0-9._:-]/g, '_');
