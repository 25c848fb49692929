import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import {
  listReviewsQuery,
  reviewQueueSignal,
  type ReviewQueueArgs,
} from '../shared/contracts/messages';

/** Events before continuing as new: keeps the history small however long the queue lives. */
const EVENTS_PER_RUN = 2_000;

/**
 * A tenant's pending reviews, kept by the review workflows themselves (they signal when they
 * start and stop waiting). Reviewers list them with one query; the per-item detail and the
 * decision still go to the task's own workflow, which stays the source of truth.
 */
export async function reviewQueue(args: ReviewQueueArgs): Promise<void> {
  const entries = new Map((args.entries ?? []).map((e) => [e.jobId, e] as const));
  let events = 0;
  setHandler(reviewQueueSignal, (event) => {
    events += 1;
    if (event.op === 'open') entries.set(event.entry.jobId, event.entry);
    else entries.delete(event.jobId);
  });
  setHandler(listReviewsQuery, () => [...entries.values()]);
  await condition(() => events >= EVENTS_PER_RUN);
  await condition(allHandlersFinished);
  await continueAsNew<typeof reviewQueue>({ entries: [...entries.values()] });
}
