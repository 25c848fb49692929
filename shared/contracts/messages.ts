/**
 * Every Temporal message in one module: the task queue, search attributes, the job query, the
 * breaker entity's messages and the review messages, with their payload types. Without zod:
 * workflow code imports this module, and every module a workflow imports is evaluated again for
 * each workflow run.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  BreakerSettings,
  BreakerState,
  BreakerStateName,
  CallOutcome,
  Transition,
  WindowStats,
} from '../policy/breaker';
import type { Issue, JobState, ReviewAudit } from './job';
import type { ReviewDecisionBody } from './review';

/** Default task queue; override with KEEL_TASK_QUEUE. */
export const DEFAULT_TASK_QUEUE = 'keel-tasks';

/** Current status, steps so far, and the result once there is one. */
export const getJobStateQuery = defineQuery<JobState>('getJobState');

/**
 * Search attributes Keel registers on the namespace. Values are ids and enums only: search
 * attributes are not encrypted, so nothing from a request's input may go here.
 */
export const SearchAttr = {
  tenant: defineSearchAttributeKey('KeelTenant', 'KEYWORD'),
  task: defineSearchAttributeKey('KeelTask', 'KEYWORD'),
  status: defineSearchAttributeKey('KeelStatus', 'KEYWORD'),
  /** Which path produced a completed result (primary, fallback, degraded). */
  path: defineSearchAttributeKey('KeelPath', 'KEYWORD'),
  /**
   * An HMAC of task, prompt version and normalised input: finds the last good answer for the same
   * request without putting the input anywhere (keyed, so short inputs cannot be guessed back).
   */
  inputKey: defineSearchAttributeKey('KeelInputKey', 'KEYWORD'),
} as const;

export const SEARCH_ATTRIBUTE_NAMES = Object.values(SearchAttr).map((k) => k.name);

/** What `GET /v1/providers` shows for one provider/model. */
export interface ProviderHealthView {
  provider: string;
  model: string;
  state: BreakerStateName;
  openedAt?: number;
  stats: WindowStats;
  transitions: Transition[];
}

/**
 * Entity workflow `providerHealth`: one per provider/model, shared by every worker. Call outcomes
 * arrive batched, one signal per flush of a worker's reports.
 */
export interface ProviderHealthArgs {
  provider: string;
  model: string;
  settings: BreakerSettings;
  /** Carried over continue-as-new. */
  state?: BreakerState;
}
/** The workflow's type, for clients that start it by name without importing workflow code. */
export type ProviderHealthWorkflow = (args: ProviderHealthArgs) => Promise<void>;

export const reportOutcomesSignal = defineSignal<[CallOutcome[]]>('reportOutcomes');
/** Half-open probing needs a decision that changes state: an update, answered once. */
export const acquirePermitUpdate = defineUpdate<
  { allow: boolean; probe: boolean; state: BreakerStateName },
  /** `probeUntil`: when a probe granted to this asker expires unreported (absent: after openMs). */
  [{ now: number; probeUntil?: number }]
>('acquirePermit');
/** What the entity publishes in its memo after every change (ids and numbers only). */
export interface PublishedHealth {
  state: BreakerStateName;
  openedAt?: number;
  /** The clock reading the stats were computed at. */
  asOf: number;
  stats: WindowStats;
  transitions: Transition[];
}

/**
 * One entity per deployment (task queue) and provider/model: deployments sharing a namespace
 * keep separate breakers, each served by its own workers.
 */
export const providerHealthWorkflowId = (
  taskQueue: string,
  provider: string,
  model: string,
): string => `keel-health-${taskQueue}-${provider}-${model}`.replace(/[^A-Za-z0-9._:-]/g, '_');

// Human review: the task workflow waits for a decision; one queue entity per tenant lists them.

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
