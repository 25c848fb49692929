import { Inject, Injectable } from '@nestjs/common';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, toFieldErrors } from '../shared/contracts/errors';
import { JobStatus, type ReviewAudit } from '../shared/contracts/job';
import {
  SearchAttr,
  getReviewQuery,
  listReviewsQuery,
  reviewQueueWorkflowId,
  type ReviewQueueEntry,
  reviewDecisionUpdate,
  type ReviewItem,
  type ReviewSummary,
} from '../shared/contracts/messages';
import { ReviewDecisionBody } from '../shared/contracts/review';
import { findTask } from '../shared/tasks';
import { AuditService } from './audit.service';
import { invalidRequest, ProblemError, type Problem } from './problem';
import { statusOf } from './job-status';
import type { Tenant } from '../shared/tenancy/directory';
import { CONFIG, TEMPORAL_CLIENT } from './tokens';
import { trackTasksAwaitingReview } from '../shared/platform/metrics';
import type { KeelConfig } from '../shared/platform/config';

/** Most items one `GET /v1/reviews` returns. */
export const MAX_REVIEWS_PER_PAGE = 1_000;

export interface ReviewListItem extends Omit<ReviewSummary, 'requestedAt' | 'deadlineAt'> {
  jobId: string;
  requestedAt: string;
  deadlineAt: string;
  ageMs: number;
}

interface ListArgs {
  tenant: Tenant;
  task?: string;
  minAgeMs?: number;
  limit: number;
  now: number;
}

/** The reviewer's queue: Temporal visibility for the list, a query and an update per item. */
@Injectable()
export class ReviewsService {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(AuditService) private readonly trail: AuditService,
  ) {
    trackTasksAwaitingReview(() => this.countAwaiting());
  }

  /** Tasks held for review on this deployment's task queue, every tenant (one visibility count). */
  private async countAwaiting(): Promise<number> {
    const queue = this.config.taskQueue.replace(/'/g, "\\'");
    const { count } = await this.client.workflow.count(
      `WorkflowType = 'runTask' AND ExecutionStatus = 'Running' AND TaskQueue = '${queue}' AND ${SearchAttr.status.name} = '${JobStatus.awaitingReview}'`,
    );
    return count;
  }

  /**
   * Pending reviews of the reviewer's own tenant, oldest first, filtered by task and age: one
   * query to the tenant's queue entity; through visibility when no worker can answer it.
   */
  async list(args: ListArgs): Promise<{ items: ReviewListItem[] }> {
    let entries: ReviewQueueEntry[];
    try {
      entries = await this.client.workflow
        .getHandle(reviewQueueWorkflowId(this.config.taskQueue, args.tenant.id))
        .query(listReviewsQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { items: [] };
      return this.listFromVisibility(args);
    }
    const items = entries
      .filter((e) => !args.task || e.task === args.task)
      .filter((e) => !args.minAgeMs || args.now - e.requestedAt >= args.minAgeMs)
      .sort((a, b) => a.requestedAt - b.requestedAt)
      .slice(0, args.limit)
      .map((e) => this.listItem(e, args.now));
    return { items };
  }

  private listItem(e: ReviewQueueEntry, now: number): ReviewListItem {
    return {
      ...e,
      requestedAt: new Date(e.requestedAt).toISOString(),
      deadlineAt: new Date(e.deadlineAt).toISOString(),
      ageMs: Math.max(0, now - e.requestedAt),
    };
  }

  /** The same list from Temporal visibility (about 0.6 ms a row on the dev server's SQLite). */
  private async listFromVisibility(args: ListArgs): Promise<{ items: ReviewListItem[] }> {
    const clauses = [
      `WorkflowType = 'runTask'`,
      `ExecutionStatus = 'Running'`,
      `${SearchAttr.tenant.name} = '${args.tenant.id}'`,
      `${SearchAttr.status.name} = '${JobStatus.awaitingReview}'`,
    ];
    if (args.task) clauses.push(`${SearchAttr.task.name} = '${args.task}'`);
    if (args.minAgeMs)
      clauses.push(`StartTime <= '${new Date(args.now - args.minAgeMs).toISOString()}'`);
    const items: ReviewListItem[] = [];
    for await (const wf of this.client.workflow.list({
      query: clauses.join(' AND '),
      pageSize: Math.min(args.limit, MAX_REVIEWS_PER_PAGE),
    })) {
      const summary = (wf.memo as { review?: ReviewSummary } | undefined)?.review;
      if (summary) items.push(this.listItem({ ...summary, jobId: wf.workflowId }, args.now));
      if (items.length >= args.limit) break;
    }
    items.sort((a, b) => b.ageMs - a.ageMs);
    return { items };
  }

  async get(tenant: Tenant, jobId: string): Promise<ReviewItem> {
    const handle = await this.pending(tenant, jobId);
    const item = await handle.query(getReviewQuery);
    if (!item) throw this.notFound(jobId);
    return { ...item, jobId };
  }

  async decide(tenant: Tenant, jobId: string, body: unknown): Promise<ReviewAudit> {
    const parsed = ReviewDecisionBody.safeParse(body);
    if (!parsed.success)
      throw invalidRequest(
        'The body must be {"decision": "approve"|"reject"|"edit", "output"?, "comment"?}.',
        toFieldErrors(parsed.error.issues),
      );
    const handle = await this.pending(tenant, jobId, true);
    let decided: ReviewAudit;
    try {
      decided = await handle.executeUpdate(reviewDecisionUpdate, {
        args: [{ ...parsed.data, reviewer: tenant.keyName, tenantId: tenant.id }],
      });
    } catch (err) {
      throw this.decisionProblem(err, jobId);
    }
    await this.trail.record(
      tenant,
      tenant.id,
      'review.decided',
      {
        decision: decided.decision,
        group: decided.group,
        changedFields: decided.changes.map((c) => c.path),
      },
      Date.parse(decided.decidedAt),
      jobId,
    );
    return decided;
  }

  /** The job, if it belongs to the tenant and (unless `decidedOk`) is waiting for review. */
  private async pending(tenant: Tenant, jobId: string, decidedOk = false) {
    const handle = this.client.workflow.getHandle(jobId);
    let desc: WorkflowExecutionDescription;
    try {
      desc = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw this.notFound(jobId);
      throw err;
    }
    if (desc.typedSearchAttributes.get(SearchAttr.tenant) !== tenant.id) throw this.notFound(jobId);
    const status = statusOf(desc);
    if (status !== JobStatus.awaitingReview) {
      if (decidedOk && status !== JobStatus.running) throw this.alreadyDecided(jobId);
      throw this.notFound(jobId);
    }
    return handle;
  }

  private decisionProblem(err: unknown, jobId: string): ProblemError {
    const cause = err instanceof WorkflowUpdateFailedError ? err.cause : err;
    if (cause instanceof ApplicationFailure) {
      switch (cause.type) {
        case FailureType.ReviewAlreadyDecided:
          return this.alreadyDecided(jobId);
        case FailureType.ReviewNotPending:
          return this.notFound(jobId);
        case FailureType.ReviewClosed:
          return ProblemError.of('review-closed', undefined, { jobId });
        case FailureType.ReviewEditInvalid:
          return ProblemError.of('invalid-edit', undefined, {
            jobId,
            errors: (cause.details?.[0] ?? []) as Problem['errors'],
          });
        default:
          break;
      }
    }
    // The workflow finished between our describe and the update: someone decided first.
    if (err instanceof WorkflowNotFoundError) return this.alreadyDecided(jobId);
    return ProblemError.of('review-failed', undefined, { jobId }, { cause: err });
  }

  private alreadyDecided(jobId: string): ProblemError {
    return ProblemError.of('already-decided', undefined, { jobId });
  }

  private notFound(jobId: string): ProblemError {
    return ProblemError.of('review-not-found', `There is no pending review for "${jobId}".`);
  }

  /** A task filter must name a real task: it goes into a visibility query. */
  static taskFilter(task: unknown): string | undefined {
    if (task === undefined || task === '') return undefined;
    if (typeof task !== 'string' || !findTask(task))
      throw invalidRequest('Unknown task filter.', [
        { field: 'query.task', message: 'unknown task' },
      ]);
    return task;
  }
}
