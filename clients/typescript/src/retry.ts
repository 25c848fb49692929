/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds (`2`, also `1.5`) or an HTTP
 * date (`Wed, 21 Oct 2026 07:28:00 GMT`, measured from `now`). Undefined when absent or not
 * readable; 0 for a date already past.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only an HTTP date: Date.parse reads many things, none of them digits-only.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** How the client retries: attempts after the first, the backoff, the longest wait it accepts. */
export interface RetryPolicy {
  maxRetries: number;
  /** The first backoff when the answer says nothing (doubled at each attempt, with jitter). */
  initialDelayMs: number;
  /** The longest backoff of its own. */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 2,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/**
 * The wait before retry number `attempt` (1 for the first retry): the server's `Retry-After`
 * when it gave one, else exponential backoff with jitter. Undefined when the server asks
 * for longer than the policy accepts (the caller then gets the error, with its `retryAfterMs`).
 */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterMs !== undefined) {
    return retryAfterMs <= policy.maxRetryAfterMs ? retryAfterMs : undefined;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  // Equal jitter (half fixed, half random): callers that failed together spread out.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Statuses worth another try for a request that is safe to repeat: nothing started. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What an aborted wait rejects with: the signal's reason, else an `AbortError`. */
export function abortReason(signal: AbortSignal): Error {
  return (
    (signal.reason as Error | undefined) ??
    new DOMException('This operation was aborted', 'AbortError')
  );
}
