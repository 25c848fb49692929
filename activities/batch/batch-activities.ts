import { ApplicationFailure } from '@temporalio/common';
import type {
  BatchCounts,
  BatchItemOutcome,
  BatchItemToRun,
  BatchStatus,
} from '../../shared/contracts/batch';
import type { TenantStore } from '../../shared/tenancy/store';
import type { PublishEvent } from '../events/publish';

/** `batch.progress` at most once per this many ms per batch (across every worker). */
export const PROGRESS_EVENT_GAP_MS = 1_000;

const micros = (n: number): number => Math.round(n) / 1e6;

/**
 * The batch workflow's bookkeeping: its items come from the tenant store and their outcomes go
 * back there, so neither the parent's input nor its continue-as-new carries any item. Events
 * carry counts and costs, never content.
 */
export function createBatchActivities(deps: {
  store?: TenantStore;
  publish: PublishEvent;
  now: () => number;
}) {
  const store = (): TenantStore => {
    // A deployment without a tenant store takes no batches (the API refuses them first).
    if (!deps.store) throw ApplicationFailure.nonRetryable('no tenant store', 'NoTenantStore');
    return deps.store;
  };
  const summary = async (batchId: string) => {
    const { counts, costMicros } = await store().batches.counts(batchId);
    return { counts, costUsd: micros(costMicros) };
  };
  return {
    /** The items of `[from, to)` that have no outcome yet, marked running. */
    async loadBatchItems(args: {
      batchId: string;
      from: number;
      to: number;
    }): Promise<BatchItemToRun[]> {
      return store().batches.loadForRun(args.batchId, args.from, args.to);
    },

    /** Records ended items; writes a throttled `batch.progress` event. */
    async recordBatchItems(args: {
      batchId: string;
      tenantId: string;
      total: number;
      outcomes: BatchItemOutcome[];
    }): Promise<void> {
      const now = deps.now();
      await store().batches.recordOutcomes(args.batchId, args.outcomes, now);
      if (!(await store().batches.claimProgress(args.batchId, now, PROGRESS_EVENT_GAP_MS))) return;
      const { counts, costUsd } = await summary(args.batchId);
      const done = finished(counts);
      await deps.publish({
        tenantId: args.tenantId,
        subject: args.batchId,
        type: 'batch.progress',
        key: `batch.progress:${args.batchId}:${done}`,
        data: { batchId: args.batchId, total: args.total, done, counts, costUsd },
      });
    },

    /** Ends the batch (cancelled: items without an outcome become cancelled); `batch.completed`. */
    async closeBatch(args: {
      batchId: string;
      tenantId: string;
      total: number;
      status: BatchStatus;
    }): Promise<BatchCounts> {
      await store().batches.finish(args.batchId, args.status, deps.now());
      const { counts, costUsd } = await summary(args.batchId);
      await deps.publish({
        tenantId: args.tenantId,
        subject: args.batchId,
        type: 'batch.completed',
        key: `batch.completed:${args.batchId}`,
        data: { batchId: args.batchId, status: args.status, total: args.total, counts, costUsd },
      });
      return counts;
    },
  };
}

const finished = (c: BatchCounts): number => c.completed + c.failed + c.cancelled;
