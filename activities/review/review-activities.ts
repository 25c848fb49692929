/**
 * The two non-deterministic pieces of a review: what the reviewer may see of the input (PII
 * masked as the policy says) and the audit record (the clock and the diff of the output).
 */
import type { ResolvedPolicy } from '../../shared/policy/resolve-policy';
import { detectPii, maskPii } from '../../shared/guards/pii';
import { transformStrings } from '../../shared/guards/json-strings';
import type { ReviewAudit } from '../../shared/contracts/job';
import type { ReviewQueueEvent } from '../../shared/contracts/messages';
import type { PublishEvent } from '../events/publish';
import type { ReviewQueue } from '../../shared/platform/review-queue';

/** Longest string of the input a reviewer sees, in characters. */
const EXCERPT_CHARS = 2_000;

/** The input as a reviewer sees it: PII of the policy's types masked, long strings cut. */
export function reviewExcerpt(input: unknown, policy: ResolvedPolicy): unknown {
  const types = policy.moderation.input.pii === 'allow' ? [] : policy.moderation.input.piiTypes;
  return transformStrings(input, (text) => {
    const cut = text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
    return types.length ? maskPii(cut, detectPii(cut, { types })) : cut;
  });
}

/** Leaf-level differences between two JSON values, with dotted paths. */
export function diffJson(
  before: unknown,
  after: unknown,
  path = '',
): Array<{ path: string; before: unknown; after: unknown }> {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (Array.isArray(before) && Array.isArray(after)) {
    return Array.from({ length: Math.max(before.length, after.length) }, (_, i) =>
      diffJson(before[i], after[i], path ? `${path}.${i}` : String(i)),
    ).flat();
  }
  if (isObj(before) && isObj(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].flatMap((k) =>
      diffJson(before[k], after[k], path ? `${path}.${k}` : k),
    );
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [{ path: path || '(root)', before, after }];
}

export function createReviewActivities(deps: {
  now: () => number;
  queue?: ReviewQueue;
  publish?: PublishEvent;
}) {
  return {
    /**
     * Review: keep the tenant's queue entity up to date (one signal), and tell the job's stream
     * and webhooks: `review.requested` when it opens, `review.decided` or `review.expired` when
     * it closes (`outcome`, given by runs since the event log).
     */
    async publishReview(args: {
      tenantId: string;
      event: ReviewQueueEvent;
      outcome?: 'decided' | 'expired';
      decision?: string;
    }): Promise<void> {
      await deps.queue?.publish(args.tenantId, args.event);
      const { event } = args;
      const jobId = event.op === 'open' ? event.entry.jobId : event.jobId;
      if (event.op === 'open') {
        await deps.publish?.({
          tenantId: args.tenantId,
          subject: jobId,
          type: 'review.requested',
          // An escalation reopens the review in another group: one event per group.
          key: `review.requested:${jobId}:${event.entry.group ?? 'default'}`,
          data: { jobId, status: 'awaiting_review', deadlineAt: event.entry.deadlineAt },
        });
      } else if (args.outcome) {
        await deps.publish?.({
          tenantId: args.tenantId,
          subject: jobId,
          type: args.outcome === 'decided' ? 'review.decided' : 'review.expired',
          key: `review.closed:${jobId}`,
          data: {
            jobId,
            status: 'running',
            ...(args.decision ? { decision: args.decision } : {}),
          },
        });
      }
    },

    /** Review: what the reviewer sees of the input, and when the wait began (the clock). */
    prepareReview(args: {
      input: unknown;
      policy: ResolvedPolicy;
    }): Promise<{ input: unknown; requestedAt: number }> {
      return Promise.resolve({
        input: reviewExcerpt(args.input, args.policy),
        requestedAt: deps.now(),
      });
    },

    /** Review: the audit record of an accepted decision (time from the worker's clock). */
    auditReview(
      args: Omit<ReviewAudit, 'decidedAt' | 'changes'> & {
        proposed: unknown;
        output: unknown;
      },
    ): Promise<ReviewAudit> {
      const { proposed, output, ...rest } = args;
      return Promise.resolve({
        ...rest,
        decidedAt: new Date(deps.now()).toISOString(),
        changes: rest.decision === 'edit' ? diffJson(proposed, output) : [],
      });
    },
  };
}
