import type { Client } from '@temporalio/client';
import type { Logger } from '../shared/platform/logger';

export interface RunningTasksOptions {
  /** KEEL_MAX_INFLIGHT_TASKS; 0 = no limit (nothing is listed or tracked). */
  limit: number;
  /**
   * Ids of running tasks on this deployment, at most `max` of them. In production a Temporal
   * visibility listing (see `listRunningTasks`).
   */
  list: (max: number) => Promise<string[]>;
  logger: Pick<Logger, 'warn'>;
  /** @default Date.now */
  now?: () => number;
  /**
   * A listing older than this is refreshed (in the background while under the limit; awaited
   * before a refusal, so nobody is refused on stale data). At most one listing at a time.
   * @default 500
   */
  refreshMs?: number;
  /**
   * How long a started workflow may take to show in visibility (SQL visibility: milliseconds;
   * Elasticsearch: its bulk flush plus index refresh, about 2 s). Tasks this process started more
   * recently than this before a listing count even when the listing does not show them yet.
   * @default 2000
   */
  visibilityLagMs?: number;
}

/**
 * Load shedding by what is actually running: the tasks on this deployment's task queue that have
 * not finished, whether their caller waits for them or got a 202. The count comes from Temporal
 * visibility (so it survives a restart of the API process and includes what other API processes
 * started), merged by job id with the tasks this process started since, which a listing may not
 * show yet. A task this process saw finish (a sync caller got its result) frees its slot at once;
 * one that finished unobserved (a 202) frees it with the next listing that no longer shows it.
 *
 * Limits: other API processes' starts are seen after visibility lag plus `refreshMs`, so replicas
 * admitting at the same moment can overshoot by what they admit in that window; a task started
 * with `maxSyncMs: 0` holds its slot for at least `visibilityLagMs`.
 */
export class RunningTasks {
  private listed = new Set<string>();
  /** When the last successful listing was asked for: starts older than that minus the lag are in it. */
  private listedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  /** Job id → when this process started it, until a listing covers it or it is seen to finish. */
  private readonly started = new Map<string, number>();
  private readonly now: () => number;
  private readonly refreshMs: number;
  private readonly lagMs: number;

  constructor(private readonly options: RunningTasksOptions) {
    this.now = options.now ?? Date.now;
    this.refreshMs = options.refreshMs ?? 500;
    this.lagMs = options.visibilityLagMs ?? 2_000;
  }

  /** Takes a slot for `jobId`; false when `limit` tasks are already running. */
  async admit(jobId: string): Promise<boolean> {
    const { limit } = this.options;
    if (limit <= 0) return true;
    if (this.now() - this.attemptedAt >= this.refreshMs) {
      const fresh = this.refresh();
      if (this.listedAt === Number.NEGATIVE_INFINITY || this.count() >= limit) await fresh;
    }
    // Decided and taken with no await in between: concurrent requests cannot both take the last slot.
    if (this.count() >= limit) return false;
    this.started.set(jobId, this.now());
    return true;
  }

  /** This process saw the task end: its slot is free now, even if the last listing showed it. */
  finished(jobId: string): void {
    this.started.delete(jobId);
    this.listed.delete(jobId);
  }

  /** This process did not start the task after all (the start failed, or the id was taken). */
  release(jobId: string): void {
    this.started.delete(jobId);
  }

  /** Running tasks as far as this process knows: the listing plus its own recent starts. */
  count(): number {
    const covered = this.listedAt - this.lagMs;
    let n = this.listed.size;
    for (const [jobId, at] of this.started) {
      if (at < covered) this.started.delete(jobId);
      else if (!this.listed.has(jobId)) n += 1;
    }
    return n;
  }

  private refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const askedAt = this.now();
    this.attemptedAt = askedAt;
    this.refreshing = this.options
      .list(this.options.limit)
      .then(
        (ids) => {
          this.listed = new Set(ids);
          this.listedAt = askedAt;
        },
        (err: unknown) => {
          // Counting falls back to this process's own starts until a listing succeeds.
          this.options.logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'listing running tasks failed; load shedding counts this process only',
          );
        },
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}

/** Running `runTask` workflows on `taskQueue` that are not parked waiting for a reviewer. */
export function listRunningTasks(client: Client, taskQueue: string) {
  const query =
    `WorkflowType = 'runTask' AND TaskQueue = ${quote(taskQueue)} ` +
    `AND ExecutionStatus = 'Running' AND KeelStatus = 'running'`;
  return async (max: number): Promise<string[]> => {
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query, pageSize: Math.min(max, 1_000) })) {
      ids.push(wf.workflowId);
      if (ids.length >= max) break;
    }
    return ids;
  };
}

/** Visibility query string literal. */
const quote = (value: string): string => `'${value.replace(/['\\]/g, '')}'`;
