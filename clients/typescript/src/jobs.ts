import {
  errorFromProblem,
  isKeelError,
  KeelConnectionError,
  UnavailableError,
  type KeelError,
  type Problem,
} from './errors.js';
import { abortReason, sleep } from './retry.js';
import { readSse } from './sse.js';
import type { RequestOptions, Transport } from './transport.js';
import { ENDED_STATUSES, type CancelledJob, type Job, type JobEvent } from './types.js';

/** How a wait for a job's end behaves. */
export interface WaitOptions extends RequestOptions {
  /**
   * When the signal aborts: also cancel the job (`POST /v1/jobs/{id}/cancel`), so its model call
   * stops and nothing more is billed. Otherwise the job runs on and only the wait stops.
   * @default false
   */
  cancelOnAbort?: boolean;
  /**
   * Polling (`GET /v1/jobs/{id}`) when the event stream is not available: the first interval,
   * doubled up to 5 s.
   * @default 500
   */
  pollIntervalMs?: number;
}

const EVENTS_ENDING_A_JOB = new Set(['job.completed', 'job.failed', 'job.cancelled']);
const MAX_POLL_INTERVAL_MS = 5_000;

/** `/v1/jobs`: a job, its cancellation, its events, and a wait for its end. */
export class Jobs {
  constructor(private readonly http: Transport) {}

  /** The job: status, output when completed, error when failed, meta and steps so far. */
  async get(jobId: string, opts?: RequestOptions): Promise<Job> {
    return (await this.http.json<Job>({ method: 'GET', path: jobPath(jobId) }, opts)).body;
  }

  /** Cancels the job: a model call in flight is aborted. 409 `ConflictError` if it had ended. */
  async cancel(jobId: string, opts?: RequestOptions): Promise<CancelledJob> {
    const path = `${jobPath(jobId)}/cancel`;
    return (await this.http.json<CancelledJob>({ method: 'POST', path }, opts)).body;
  }

  /**
   * The job's events as they happen (`GET /v1/jobs/{id}/events`): first `job.status`, then
   * review events, then one of `job.completed`, `job.failed`, `job.cancelled`, and the iteration
   * ends. `lastEventId` resumes after an event already seen. Breaking out closes the stream.
   */
  async *events(
    jobId: string,
    opts: RequestOptions & { lastEventId?: string } = {},
  ): AsyncGenerator<JobEvent> {
    const { response, release } = await this.http.open(
      {
        method: 'GET',
        path: `${jobPath(jobId)}/events`,
        query: { lastEventId: opts.lastEventId },
        accept: 'text/event-stream',
      },
      opts,
    );
    try {
      if (!response.body) return;
      for await (const event of readSse(response.body)) {
        yield {
          event: event.event,
          data: JSON.parse(event.data) as unknown,
          ...(event.id !== undefined ? { id: event.id } : {}),
        } as JobEvent;
      }
    } finally {
      release();
    }
  }

  /**
   * Waits for the job to end, over its event stream, or by polling when the stream cannot be
   * had (too many streams, a proxy that buffers, a dropped connection). Resolves with the
   * completed job; throws the job's problem as its error class when it failed, was cancelled or
   * timed out (`JobFailedError`, `JobCancelledError`, ...).
   */
  async wait(jobId: string, opts: WaitOptions = {}): Promise<Job> {
    try {
      return ended(await this.waitForEnd(jobId, opts));
    } catch (err) {
      if (opts.cancelOnAbort && opts.signal?.aborted) {
        // The caller has gone: cancel without its signal, and report the abort whatever happens.
        await this.cancel(jobId, { maxRetries: 1 }).catch(() => undefined);
      }
      throw err;
    }
  }

  private async waitForEnd(jobId: string, opts: WaitOptions): Promise<Job> {
    const { signal } = opts;
    try {
      const events = this.events(jobId, {
        ...(signal ? { signal } : {}),
        ...(opts.headers ? { headers: opts.headers } : {}),
        maxRetries: opts.maxRetries ?? 0,
      });
      for await (const event of events) {
        const ends =
          EVENTS_ENDING_A_JOB.has(event.event) ||
          (event.event === 'job.status' && ENDED_STATUSES.has(event.data.status));
        if (ends) return event.data as Job;
      }
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      if (!canPollInstead(err)) throw err;
    }
    return this.poll(jobId, opts);
  }

  /** Polls the job until it ends, the interval doubling up to 5 s. */
  private async poll(jobId: string, opts: WaitOptions): Promise<Job> {
    let interval = opts.pollIntervalMs ?? 500;
    for (;;) {
      const job = await this.get(jobId, opts);
      if (ENDED_STATUSES.has(job.status)) return job;
      await sleep(interval, opts.signal);
      interval = Math.min(MAX_POLL_INTERVAL_MS, interval * 2);
    }
  }
}

/** The stream failed in a way polling may not: a network error, too many streams. */
function canPollInstead(err: unknown): boolean {
  if (err instanceof KeelConnectionError || err instanceof SyntaxError) return true;
  return isKeelError(err) && err instanceof UnavailableError;
}

/** The completed job, or its problem thrown as the named error. */
function ended(job: Job): Job {
  if (job.status === 'completed') return job;
  throw jobError(job);
}

/** The error of a job that ended without an answer. */
export function jobError(job: Job): KeelError {
  const fallback: Record<string, Problem> = {
    cancelled: problem('task-cancelled', 'Task cancelled', 409, job.jobId),
    timed_out: problem('task-timed-out', 'Task timed out', 504, job.jobId),
  };
  const p =
    job.error ?? fallback[job.status] ?? problem('task-failed', 'Task failed', 500, job.jobId);
  return errorFromProblem({ ...p, jobId: p.jobId ?? job.jobId }, p.status);
}

function problem(slug: string, title: string, status: number, jobId: string): Problem {
  return { type: `https://keel.dev/problems/${slug}`, title, status, jobId };
}

const jobPath = (jobId: string): string => `/v1/jobs/${encodeURIComponent(jobId)}`;
