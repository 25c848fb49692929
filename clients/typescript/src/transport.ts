import { errorFromProblem, KeelConnectionError, KeelTimeoutError, type Problem } from './errors.js';
import {
  abortReason,
  parseRetryAfter,
  RETRYABLE_STATUSES,
  retryDelay,
  sleep,
  type RetryPolicy,
} from './retry.js';

/** Per call: the caller's abort signal and overrides of the client's defaults. */
export interface RequestOptions {
  /** Aborts the call (and any wait or retry in it); it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Per attempt, until the answer has arrived. @default the client's `timeoutMs` */
  timeoutMs?: number;
  /** @default the client's `maxRetries` */
  maxRetries?: number;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
}

export interface Request {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | string[] | undefined> | undefined;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with its content type (a JSONL batch). */
  raw?: { body: string; contentType: string };
  /** Makes a POST safe to repeat: it is then retried like a GET. */
  idempotencyKey?: string | undefined;
  accept?: string;
}

export interface TransportConfig {
  baseUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  headers: Record<string, string>;
}

/** An answer whose body is still to be read (a stream); `release` when done with it. */
export interface OpenResponse {
  response: Response;
  release: () => void;
}

/**
 * One HTTP call with Keel's rules: the key, a timeout per attempt, retries of what is safe to
 * repeat (GETs and requests with an Idempotency-Key; on 429, 503 and network errors) after
 * `Retry-After` or a backoff, and problems turned into named errors.
 */
export class Transport {
  constructor(private readonly config: TransportConfig) {}

  /** The JSON body and status of a 2xx answer. */
  async json<T>(req: Request, opts: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const { response, release, timedOut } = await this.send(req, opts, true);
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      throw timedOut()
        ? new KeelTimeoutError('Keel’s answer did not arrive in time', { cause: err })
        : new KeelConnectionError('Keel’s answer was cut off', { cause: err });
    } finally {
      release();
    }
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Only the JSON body of a 2xx answer. */
  async body<T>(req: Request, opts?: RequestOptions): Promise<T> {
    return (await this.json<T>(req, opts)).body;
  }

  /** A 2xx answer whose body the caller reads as it arrives (events, JSONL). */
  async open(req: Request, opts: RequestOptions = {}): Promise<OpenResponse> {
    const { response, release } = await this.send(req, opts, false);
    return { response, release };
  }

  private async send(
    req: Request,
    opts: RequestOptions,
    readWhole: boolean,
  ): Promise<OpenResponse & { timedOut: () => boolean }> {
    const maxRetries = opts.maxRetries ?? this.config.retry.maxRetries;
    const safe = req.method === 'GET' || req.idempotencyKey !== undefined;
    for (let attempt = 0; ; attempt++) {
      const call = attemptSignal(opts.timeoutMs ?? this.config.timeoutMs, opts.signal);
      let response: Response;
      try {
        response = await this.config.fetch(this.url(req), {
          method: req.method,
          headers: this.headers(req, opts),
          ...(req.json !== undefined ? { body: JSON.stringify(req.json) } : {}),
          ...(req.raw ? { body: req.raw.body } : {}),
          signal: call.signal,
        });
      } catch (err) {
        call.release();
        if (opts.signal?.aborted) throw abortReason(opts.signal);
        const failure = call.timedOut()
          ? new KeelTimeoutError(`No answer from Keel within ${call.timeoutMs} ms`, { cause: err })
          : new KeelConnectionError('Keel could not be reached', { cause: err });
        await this.backoff(failure, safe, attempt, maxRetries, undefined, opts.signal);
        continue;
      }
      if (response.ok) {
        // A whole body is read under the attempt's timeout; a stream only waits for headers.
        if (!readWhole) call.stopTimer();
        return { response, release: call.release, timedOut: call.timedOut };
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const problem = await readProblem(response);
      call.release();
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      const failure = errorFromProblem(problem, response.status, retryAfterMs);
      const retryable = safe && RETRYABLE_STATUSES.has(response.status);
      await this.backoff(failure, retryable, attempt, maxRetries, retryAfterMs, opts.signal);
    }
  }

  /** Waits before the next attempt, or throws `failure` when there is none. */
  private async backoff(
    failure: Error,
    retryable: boolean,
    attempt: number,
    maxRetries: number,
    retryAfterMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const delay =
      retryable && attempt < maxRetries
        ? retryDelay(attempt + 1, retryAfterMs, this.config.retry)
        : undefined;
    if (delay === undefined) throw failure;
    await sleep(delay, signal);
  }

  private url(req: Request): string {
    const base = this.config.baseUrl.endsWith('/')
      ? this.config.baseUrl
      : `${this.config.baseUrl}/`;
    const url = new URL(req.path.replace(/^\//, ''), base);
    for (const [name, value] of Object.entries(req.query ?? {})) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value])
        url.searchParams.append(name, String(v));
    }
    return url.toString();
  }

  private headers(req: Request, opts: RequestOptions): Headers {
    const headers = new Headers({ ...this.config.headers, ...opts.headers });
    headers.set('authorization', `Bearer ${this.config.apiKey}`);
    headers.set('accept', req.accept ?? 'application/json');
    if (req.json !== undefined) headers.set('content-type', 'application/json');
    if (req.raw) headers.set('content-type', req.raw.contentType);
    if (req.idempotencyKey !== undefined) headers.set('idempotency-key', req.idempotencyKey);
    return headers;
  }
}

/** The problem a non-2xx answer carries; one made from the status when it carries none. */
async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null && 'type' in body) return body as Problem;
  } catch {
    // Not JSON: a proxy's page, an empty body.
  }
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
  };
}

/** The signal of one attempt: the caller's, plus a timer that aborts it after `timeoutMs`. */
function attemptSignal(timeoutMs: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
    timedOut = true;
    controller.abort(new KeelTimeoutError(`No answer from Keel within ${timeoutMs} ms`));
  }, timeoutMs);
  const stopTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    timeoutMs,
    timedOut: () => timedOut,
    stopTimer,
    release: (): void => {
      stopTimer();
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
