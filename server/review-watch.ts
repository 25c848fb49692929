import type { Client } from '@temporalio/client';
import { JobStatus } from '../shared/contracts/job';
import type { Logger } from '../shared/platform/logger';

export interface ReviewWatchOptions {
  /**
   * Ids of running tasks parked for a reviewer that started at or after `since`. In production a
   * Temporal visibility listing (see `listAwaitingReview`).
   */
  list: (since: Date) => Promise<string[]>;
  logger: Pick<Logger, 'warn'>;
  /** How often the listing runs while anyone is waiting. @default 250 */
  pollMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Slack for the clock difference between this process and the Temporal server's `StartTime`. */
const CLOCK_SLACK_MS = 60_000;

/**
 * Tells a synchronous caller's wait that its task is waiting for a person, so the API answers 202
 * `awaiting_review` at once instead of after `maxSyncMs`. One visibility listing per `pollMs`
 * for the whole process while any request waits (not one `describe` per waiting request, which
 * under load was most of Temporal's work), and none while nobody waits. It needs no policy: the
 * workflow says `awaiting_review` in its `KeelStatus` when admission's policy sent it there.
 *
 * Limits: the answer comes a listing plus visibility lag after the status changes (SQL
 * visibility: milliseconds; Elasticsearch: about 2 s); a failed listing only delays it to
 * `maxSyncMs`, when the caller gets 202 `running`.
 */
export class ReviewWatch {
  private readonly waiting = new Map<string, { since: number; onReview: () => void }>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;
  private failing = false;
  private readonly now: () => number;

  constructor(private readonly options: ReviewWatchOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Calls `onReview` once when `jobId` is seen awaiting review; the returned function stops. */
  watch(jobId: string, onReview: () => void): () => void {
    const entry = { since: this.now(), onReview };
    this.waiting.set(jobId, entry);
    this.timer ??= setInterval(() => void this.poll(), this.options.pollMs ?? 250);
    this.timer.unref?.();
    return () => {
      if (this.waiting.get(jobId) === entry) this.waiting.delete(jobId);
      this.idle();
    };
  }

  /** Stops the timer (the API is shutting down); the waits still end at their budget. */
  stop(): void {
    this.waiting.clear();
    this.idle();
  }

  /** One listing now (the timer calls it; tests may too). */
  async poll(): Promise<void> {
    if (this.polling || this.waiting.size === 0) return;
    this.polling = true;
    try {
      let oldest = Number.POSITIVE_INFINITY;
      for (const { since } of this.waiting.values()) oldest = Math.min(oldest, since);
      const ids = await this.options.list(new Date(oldest - CLOCK_SLACK_MS));
      this.failing = false;
      for (const id of ids) {
        const entry = this.waiting.get(id);
        if (!entry) continue;
        this.waiting.delete(id);
        entry.onReview();
      }
    } catch (err) {
      // Once per outage, not every tick: the waits still end at maxSyncMs.
      if (!this.failing)
        this.options.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'listing tasks awaiting review failed; sync callers wait their full budget',
        );
      this.failing = true;
    } finally {
      this.polling = false;
      this.idle();
    }
  }

  private idle(): void {
    if (this.waiting.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Running `runTask` workflows on `taskQueue` whose `KeelStatus` is `awaiting_review`. */
export function listAwaitingReview(client: Client, taskQueue: string) {
  return async (since: Date): Promise<string[]> => {
    const query =
      `WorkflowType = 'runTask' AND TaskQueue = ${quote(taskQueue)} ` +
      `AND ExecutionStatus = 'Running' AND KeelStatus = '${JobStatus.awaitingReview}' ` +
      `AND StartTime >= '${since.toISOString()}'`;
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query, pageSize: 1_000 }))
      ids.push(wf.workflowId);
    return ids;
  };
}

/** Visibility query string literal. */
const quote = (value: string): string => `'${value.replace(/['\\]/g, '')}'`;
