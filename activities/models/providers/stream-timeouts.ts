import { FailureType } from '../../../shared/contracts/errors';
import { ProviderFailure } from './classify-error';
import type { ModelStreamPart } from './model-provider';
import { streamEndedEarly } from './request-options';

/**
 * Two timeouts a stream needs beyond the call's total deadline: time to first token (a model that
 * accepted the request but does not start) and the stall between two parts (a stream that went
 * silent with its socket open). Both end the stream with a retryable `Timeout`, so a caller that has
 * sent nothing yet can move to the next candidate, and one that has can end with an error.
 */

export interface StreamTimeouts {
  /** Longest wait from the request to the first text delta (headers included). */
  firstTokenMs: number;
  /** Longest wait for the next part once the first text delta has arrived. */
  stallMs: number;
}

/**
 * How both timeouts follow the call's adaptive timeout (`adaptiveTimeoutMs`: p95 of whole calls ×
 * 2, scaled by prompt size, within the task's bounds). Provider health keeps latency percentiles of
 * whole calls only, no time to first token, so both are shares of that timeout:
 * - first token: half of it, i.e. about the p95 of a whole healthy call. A first token later than
 *   a typical complete answer means the call is not healthy.
 * - stall: a quarter of it. Healthy streams send a part every few tens of ms; a silence of a
 *   quarter of a whole call's budget is a stalled stream, not a slow one.
 * Each is clamped to its bounds, and never longer than the call timeout itself (whose deadline
 * would end the call first anyway).
 */
export const STREAM_TIMEOUT_RULES = {
  firstToken: { share: 0.5, minMs: 1_000, maxMs: 10_000 },
  stall: { share: 0.25, minMs: 2_000, maxMs: 15_000 },
} as const;

const clamp = (ms: number, rule: { share: number; minMs: number; maxMs: number }): number =>
  Math.round(Math.min(rule.maxMs, Math.max(rule.minMs, ms * rule.share)));

/** Both stream timeouts of a candidate, from its adaptive call timeout (see the rules above). */
export function streamTimeoutsMs(args: {
  /** The candidate's adaptive call timeout (`PlannedCandidate.timeoutMs`). */
  callTimeoutMs: number;
}): StreamTimeouts {
  const { callTimeoutMs } = args;
  return {
    firstTokenMs: Math.min(callTimeoutMs, clamp(callTimeoutMs, STREAM_TIMEOUT_RULES.firstToken)),
    stallMs: Math.min(callTimeoutMs, clamp(callTimeoutMs, STREAM_TIMEOUT_RULES.stall)),
  };
}

export interface StreamTimeoutOptions extends StreamTimeouts {
  /** Ends the wait at once when aborted (the activity cancelled), even if the parts do not. */
  signal?: AbortSignal;
  /** Called when a timeout fires, before the stream is dropped: abort the HTTP request here. */
  onTimeout?: () => void;
}

const TIMED_OUT = Symbol('timed out');
const ABORTED = Symbol('aborted');
type Waited =
  | { result: IteratorResult<ModelStreamPart> }
  | { error: unknown }
  | typeof TIMED_OUT
  | typeof ABORTED;

/** The next part (or the provider's error), TIMED_OUT after `ms`, or ABORTED with `signal`. */
function nextWithin(
  iterator: AsyncIterator<ModelStreamPart>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<Waited> {
  return new Promise((resolve) => {
    // Whichever comes first wins and clears the others; a late part or error is dropped.
    const settle = (waited: Waited): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(waited);
    };
    const onAbort = (): void => settle(ABORTED);
    const timer = setTimeout(() => settle(TIMED_OUT), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    // Through a promise: a `next()` that throws synchronously still clears the timer.
    Promise.resolve()
      .then(() => iterator.next())
      .then(
        (result) => settle({ result }),
        (error: unknown) => settle({ error }),
      );
  });
}

/**
 * Passes `parts` through unchanged, or throws a retryable `Timeout` ProviderFailure when no first
 * text delta arrives within `firstTokenMs` or no part within `stallMs` after it. Only time spent
 * waiting on the provider counts, never time the consumer spends between parts. On a timeout it
 * calls `onTimeout`, then asks the underlying iterator to return without waiting for it (a stalled
 * `next()` settles only once the request is aborted). An aborted `signal` ends the wait the same
 * way, with the Timeout `streamEndedEarly` gives.
 */
export async function* withStreamTimeouts(
  parts: AsyncIterable<ModelStreamPart>,
  opts: StreamTimeoutOptions,
): AsyncGenerator<ModelStreamPart> {
  const iterator = parts[Symbol.asyncIterator]();
  const firstTokenBy = Date.now() + opts.firstTokenMs;
  let started = false;
  // The iterator finished, threw, or was dropped mid-wait: nothing for `finally` to release.
  let settled = false;
  const drop = (): void => {
    settled = true;
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  };
  try {
    for (;;) {
      if (opts.signal?.aborted) throw streamEndedEarly(opts.signal);
      const waitMs = started ? opts.stallMs : Math.max(0, firstTokenBy - Date.now());
      const waited = await nextWithin(iterator, waitMs, opts.signal);
      if (waited === ABORTED) {
        drop();
        throw streamEndedEarly(opts.signal as AbortSignal);
      }
      if (waited === TIMED_OUT) {
        opts.onTimeout?.();
        drop();
        throw new ProviderFailure(
          FailureType.Timeout,
          started
            ? `stream stalled ${opts.stallMs} ms`
            : `no first token within ${opts.firstTokenMs} ms`,
        );
      }
      if ('error' in waited) {
        settled = true;
        throw waited.error;
      }
      if (waited.result.done) {
        settled = true;
        return;
      }
      const part = waited.result.value;
      if (part.type === 'text-delta') started = true;
      yield part;
    }
  } finally {
    // The consumer stopped early (break, return) or the signal was already aborted: release the
    // provider's stream, which is idle (not mid-`next()`), so this returns promptly.
    if (!settled) await iterator.return?.();
  }
}
