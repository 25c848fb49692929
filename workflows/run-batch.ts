import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  TimeoutFailure,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type {
  BatchItemOutcome,
  BatchItemToRun,
  ItemProblem,
  RunBatchArgs,
  RunBatchResult,
} from '../shared/contracts/batch';
import { SearchAttr } from '../shared/contracts/messages';
import { problemSlugForFailure } from '../shared/contracts/problems';
import { runTask } from './run-task';

/**
 * Bookkeeping against the tenant store, as local activities (a marker each, no task-queue round
 * trip). They retry until the store answers: an outcome is never dropped.
 */
const { loadBatchItems, recordBatchItems, closeBatch } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Outcomes written per `recordBatchItems` at most. */
const RECORD_MAX = 200;

/**
 * A batch: each item runs as a child `runTask` (the single-task pipeline, unchanged: validation,
 * moderation, fallbacks, review, cost, budgets per model call) under the job id chosen at
 * submission, at most `concurrency` at once. A run covers `itemsPerRun` items from `next`, then
 * continues as new (or sooner, when Temporal suggests it): the parent's history holds only that
 * run's items. A failing item is recorded as failed and never fails the batch. Cancelling the
 * batch cancels its running children (they are in its scope); items without an outcome are
 * recorded as cancelled.
 */
export async function runBatch(args: RunBatchArgs): Promise<RunBatchResult> {
  const { batchId, tenantId, total } = args;
  const end = Math.min(total, args.next + args.itemsPerRun);
  const outcomes: BatchItemOutcome[] = [];
  let inFlight = 0;
  let recorder: Promise<void> | undefined;

  const record = async (): Promise<void> => {
    while (outcomes.length > 0) {
      const page = outcomes.splice(0, RECORD_MAX);
      await CancellationScope.nonCancellable(() =>
        recordBatchItems({ batchId, tenantId, total, outcomes: page }),
      );
    }
  };
  const ended = (outcome: BatchItemOutcome): void => {
    outcomes.push(outcome);
    // One write at a time; it takes every outcome that arrived meanwhile.
    recorder ??= record().finally(() => (recorder = undefined));
  };
  const runItem = async (item: BatchItemToRun): Promise<void> => {
    inFlight += 1;
    try {
      const result = await executeChild(runTask, childOptions(args, item));
      ended({
        index: item.index,
        status: 'completed',
        costMicros: Math.round(result.meta.costUsd * 1e6),
      });
    } catch (err) {
      ended(failedOutcome(item.index, err));
    } finally {
      inFlight -= 1;
    }
  };

  let next = args.next;
  let cancellation: Error | undefined;
  const items: Array<Promise<void>> = [];
  try {
    while (next < end && !workflowInfo().continueAsNewSuggested) {
      const to = Math.min(end, next + args.concurrency);
      const from = next;
      const page = await CancellationScope.nonCancellable(() =>
        loadBatchItems({ batchId, from, to }),
      );
      for (const item of page) {
        await condition(() => inFlight < args.concurrency);
        items.push(runItem(item));
      }
      next = to;
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancellation = err as Error;
  }
  // Every child started ends (a cancelled batch's children are being cancelled), every outcome
  // is written, before the run ends or continues.
  await CancellationScope.nonCancellable(async () => {
    await Promise.all(items);
    await recorder;
    await record();
  });

  if (cancellation !== undefined) {
    await CancellationScope.nonCancellable(() =>
      closeBatch({ batchId, tenantId, total, status: 'cancelled' }),
    );
    throw cancellation;
  }
  if (next < total) return continueAsNew<typeof runBatch>({ ...args, next });
  const counts = await closeBatch({ batchId, tenantId, total, status: 'completed' });
  return { status: 'completed', counts };
}

function childOptions(args: RunBatchArgs, item: BatchItemToRun) {
  return {
    workflowId: item.jobId,
    args: [
      {
        task: args.task,
        tenantId: args.tenantId,
        requestId: `${args.requestId}/${item.index}`,
        input: item.input,
        options: args.options,
        ...(args.tenancy ? { tenancy: args.tenancy } : {}),
      },
    ] as Parameters<typeof runTask>,
    // The batch's cancellation (or its end by a failure) reaches its running items.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    // A job id runs once: an item is never run a second time under its id.
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: SearchAttr.tenant, value: args.tenantId },
      { key: SearchAttr.task, value: args.task },
      { key: SearchAttr.status, value: 'running' },
    ],
  };
}

/** An item whose job did not complete: cancelled, or failed with the problem it answers. */
function failedOutcome(index: number, err: unknown): BatchItemOutcome {
  if (isCancellation(err)) {
    return { index, status: 'cancelled', costMicros: 0, problem: { slug: 'task-cancelled' } };
  }
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  let problem: ItemProblem;
  if (cause instanceof ApplicationFailure) {
    const first: unknown = (cause.details ?? [])[0];
    problem = {
      slug: problemSlugForFailure(cause.type),
      detail: cause.message,
      ...(Array.isArray(first) ? { errors: first as ItemProblem['errors'] } : {}),
    };
  } else if (cause instanceof TimeoutFailure) {
    problem = { slug: 'task-timed-out' };
  } else if (['TerminatedFailure', 'CancelledFailure'].includes((cause as Error)?.name)) {
    return { index, status: 'cancelled', costMicros: 0, problem: { slug: 'task-cancelled' } };
  } else {
    problem = { slug: 'task-failed' };
  }
  return { index, status: 'failed', costMicros: 0, problem };
}
