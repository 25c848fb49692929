import type { Client } from '@temporalio/client';
import type { Logger } from '../shared/platform/logger';
import { trackTasksInFlight } from '../shared/platform/metrics';
import type { LatencyEnvelope } from '../shared/tasks/task-definition';
import {
  AdmissionLimiter,
  type AdmissionLimiterOptions,
  type LimiterVerdict,
} from './admission-limiter';

export interface RunningTasksOptions {
  /** KEEL_MAX_INFLIGHT_TASKS, the hard ceiling; 0 = no shedding (nothing is listed or tracked). */
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
   * A listing older than this is refreshed in the background when a request arrives; no request
   * ever waits for one. At most one listing at a time.
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
  /**
   * While the count holds tasks this process will not see finish (202s, other processes' tasks),
   * list again every `refreshMs` without waiting for a request, so the first request after a
   * quiet spell is not refused on a count of tasks long done. Off in unit tests.
   * @default true
   */
  autoRefresh?: boolean;
  /** The adaptive limit (see AdmissionLimiter); its clock is `now`. */
  adaptive?: Omit<AdmissionLimiterOptions, 'now'>;
}

/** What `admit` decided; a refusal carries what the 503 tells the caller. */
export type Admission =
  | { admitted: true }
  | {
      admitted: false;
      /** `ceiling`: KEEL_MAX_INFLIGHT_TASKS reached; `queue`: the wait would spend the envelope. */
      reason: 'ceiling' | 'queue';
      /** The limit that refused: the ceiling, or what the measured rate finishes in time. */
      limit: number;
      inFlight: number;
      retryAfterS: number;
      /** `queue` only: the expected time in the system, ms. */
      expectedWaitMs?: number;
    };

/**
 * Load shedding by what is actually running: the tasks on this deployment's task queue that have
 * not finished, whether their caller waits for them or got a 202. The count comes from Temporal
 * visibility (so it survives a restart of the API process and includes what other API processes
 * started), merged by job id with the tasks this process started since, which a listing may not
 * show yet. A task this process saw finish (a sync caller got its result) frees its slot at once;
 * one that finished unobserved (a 202) frees it with the next listing that no longer shows it.
 *
 * Every decision is taken at once from what the process knows; a stale listing is refreshed in
 * the background. An overloaded Temporal answers listings slowly, and a refusal that waits for one
 * is a refusal that arrives too late to help. The price: the count can be up to `refreshMs` plus
 * one listing's duration old for what other processes started or what finished unobserved (right
 * after a restart, until the first listing lands, it counts only this process's starts).
 *
 * Two limits, the first that refuses wins: the ceiling (`limit`), and for a sync request the
 * adaptive limit, which refuses when the tasks in flight, at the completion rate measured here,
 * would keep the new one waiting past most of its task's `maxSyncMs` (AdmissionLimiter). The
 * adaptive limit applies only while a sync caller here has waited longer than its task's
 * `fastMs`: below capacity the measured rate is the demand, not the capacity, and would refuse a
 * burst the deployment can serve.
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
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Job id → when this process started it, until a listing covers it or it is seen to finish. */
  private readonly started = new Map<string, number>();
  /** Job id → when this process saw it finish, until no listing in flight can still show it. */
  private readonly ended = new Map<string, number>();
  /** Job id → when its sync caller started waiting and when its budget ends. */
  private readonly waiting = new Map<string, { since: number; until: number }>();
  private readonly limiter: AdmissionLimiter;
  private readonly now: () => number;
  private readonly refreshMs: number;
  private readonly lagMs: number;

  constructor(private readonly options: RunningTasksOptions) {
    this.now = options.now ?? Date.now;
    this.refreshMs = options.refreshMs ?? 500;
    this.lagMs = options.visibilityLagMs ?? 2_000;
    this.limiter = new AdmissionLimiter({ ...options.adaptive, now: this.now });
    if (options.limit > 0) trackTasksInFlight(() => this.count());
  }

  /**
   * Takes a slot for `jobId`, or says why not. `sync`: the task's envelope when the caller waits
   * for the answer (the adaptive limit applies), absent when it takes a 202.
   * Synchronous: decided and taken at once, so concurrent requests cannot both take the last slot.
   */
  admit(jobId: string, sync?: Pick<LatencyEnvelope, 'fastMs' | 'maxSyncMs'>): Admission {
    const { limit } = this.options;
    if (limit <= 0) return { admitted: true };
    const now = this.now();
    if (now - this.attemptedAt >= this.refreshMs) void this.refresh();
    const inFlight = this.count();
    if (inFlight >= limit) {
      const retryAfterS = this.limiter.retryAfterAtCeiling(inFlight, limit);
      return { admitted: false, reason: 'ceiling', limit, inFlight, retryAfterS };
    }
    // Only while something queues: a waiting caller here has waited past a healthy call's time.
    // Otherwise the rate is what demand asked for, not what the deployment can do, and a burst
    // after a quiet spell would be refused for want of a measured capacity.
    const queued = sync !== undefined && now - this.oldestWaiting(now) > sync.fastMs;
    const verdict: LimiterVerdict = queued
      ? this.limiter.check(inFlight, sync.maxSyncMs)
      : { admit: true };
    if (!verdict.admit) {
      const { limit: fits, retryAfterS, expectedWaitMs } = verdict;
      return {
        admitted: false,
        reason: 'queue',
        limit: fits,
        inFlight,
        retryAfterS,
        expectedWaitMs,
      };
    }
    this.started.set(jobId, now);
    if (sync) this.waiting.set(jobId, { since: now, until: now + sync.maxSyncMs });
    return { admitted: true };
  }

  /** This process saw the task end: its slot is free now, even if the last listing showed it. */
  finished(jobId: string): void {
    this.waiting.delete(jobId);
    if (!this.started.delete(jobId) && !this.listed.delete(jobId)) return;
    this.listed.delete(jobId);
    this.ended.set(jobId, this.now());
    this.limiter.completed();
  }

  /** This process did not start the task after all (the start failed, or the id was taken). */
  release(jobId: string): void {
    this.started.delete(jobId);
    this.waiting.delete(jobId);
  }

  /** When the longest-waiting sync caller here started; `now` when none waits. */
  private oldestWaiting(now: number): number {
    let oldest = now;
    for (const [jobId, { since, until }] of this.waiting) {
      // Past its sync budget the caller got a 202 and no longer waits.
      if (until < now) this.waiting.delete(jobId);
      else oldest = Math.min(oldest, since);
    }
    return oldest;
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

  /** Completions per second measured by the adaptive limit; undefined while it has too few. */
  rate(): number | undefined {
    return this.limiter.rate();
  }

  /** Starts a listing unless one is under way; nothing waits for it but tests. */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const askedAt = this.now();
    this.attemptedAt = askedAt;
    // Listings are one at a time: this one and later ones are asked after these ended, plus lag.
    for (const [id, at] of this.ended) if (at < askedAt - this.lagMs) this.ended.delete(id);
    this.refreshing = this.options
      .list(this.options.limit)
      .then(
        (ids) => this.applyListing(ids, askedAt),
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
        this.scheduleRefresh();
      });
    return this.refreshing;
  }

  /** Stops the background listings. */
  stop(): void {
    clearTimeout(this.timer);
    this.stopped = true;
  }

  private scheduleRefresh(): void {
    if (this.options.autoRefresh === false || this.stopped || this.timer) return;
    if (this.count() === this.waiting.size) return; // all seen to finish here: nothing to look for
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, this.refreshMs);
    this.timer.unref();
  }

  private applyListing(ids: readonly string[], askedAt: number): void {
    // A task seen to end may still be listed: the listing was asked before, or visibility lags.
    const running = new Set(ids.filter((id) => !this.ended.has(id)));
    for (const id of this.listed) {
      // Listed before, gone now, and not seen to end here: it finished unobserved (a 202).
      if (!running.has(id)) this.limiter.completed();
    }
    this.listed = running;
    this.listedAt = askedAt;
  }
}

/**
 * Running `runTask` workflows on Keel's task queues (sync and background: a 202'd task counts
 * too) that are not parked waiting for a reviewer.
 */
export function listRunningTasks(client: Client, taskQueues: readonly string[]) {
  const query =
    `WorkflowType = 'runTask' AND TaskQueue IN (${taskQueues.map(quote).join(', ')}) ` +
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
