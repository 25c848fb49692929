import { Admin } from './admin.js';
import { Jobs } from './jobs.js';
import { Batches, Reviews, Usage } from './resources.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';
import { createTasks, type Tasks } from './tasks.js';
import { Transport } from './transport.js';

/** How to reach Keel, and how patient to be. */
export interface KeelOptions {
  /** Keel's address, e.g. `https://keel.internal` (paths start at `/v1`). */
  baseUrl: string;
  /** An API key (`keel_live_…`); sent as `Authorization: Bearer`. */
  apiKey: string;
  /** The fetch to use (a test double, a proxy agent). @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Retries of a call that is safe to repeat (GETs, and task and batch submissions, which carry
   * an Idempotency-Key) after a 429, a 503 or a network error.
   * @default 2
   */
  maxRetries?: number;
  /**
   * Per attempt, until the answer has arrived (for streams: until their headers). Above the
   * longest synchronous wait of a task (15 s), since a task call waits that long for a 200.
   * @default 60000
   */
  timeoutMs?: number;
  /**
   * The longest `Retry-After` waited for; past it the error (`RateLimitedError`,
   * `UnavailableError` with `retryAfterMs`) is thrown at once.
   * @default 60000
   */
  maxRetryAfterMs?: number;
  /** Headers sent with every call. */
  headers?: Record<string, string>;
}

/**
 * A client for Keel's HTTP API. Every task is a method of `tasks`, typed from the OpenAPI
 * document: `await keel.tasks.classifyTicket({ subject, body })` is `{ jobId, output, meta }`.
 */
export class Keel {
  readonly tasks: Tasks;
  readonly jobs: Jobs;
  readonly reviews: Reviews;
  readonly batches: Batches;
  readonly usage: Usage;
  readonly admin: Admin;

  constructor(options: KeelOptions) {
    if (!options.baseUrl) throw new TypeError('Keel: baseUrl is required');
    if (!options.apiKey) throw new TypeError('Keel: apiKey is required');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('Keel: no fetch in this runtime');
    const http = new Transport({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      // Unbound, a runtime's own fetch throws "Illegal invocation" (browsers, some edges).
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeoutMs: options.timeoutMs ?? 60_000,
      retry: {
        ...DEFAULT_RETRY_POLICY,
        ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
        ...(options.maxRetryAfterMs !== undefined
          ? { maxRetryAfterMs: options.maxRetryAfterMs }
          : {}),
      },
      headers: options.headers ?? {},
    });
    this.jobs = new Jobs(http);
    this.tasks = createTasks(http, this.jobs);
    this.reviews = new Reviews(http);
    this.batches = new Batches(http);
    this.usage = new Usage(http);
    this.admin = new Admin(http);
  }
}
