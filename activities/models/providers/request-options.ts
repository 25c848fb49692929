import { FailureType } from '../../../shared/contracts/errors';
import { ProviderFailure } from './classify-error';
import type { ModelRequest } from './model-provider';

/**
 * How both vendor SDK clients are built: `maxRetries: 0` (Temporal owns retries) and the SDK's
 * own logging off (it can print response bodies; Keel logs what it needs, masked).
 */
export function clientOptions(settings: {
  apiKey?: string;
  baseURL?: string;
  fetch?: typeof fetch;
}): {
  apiKey: string;
  baseURL?: string;
  maxRetries: 0;
  fetch?: typeof fetch;
  logLevel: 'off';
} {
  return {
    apiKey: settings.apiKey ?? 'not-needed',
    ...(settings.baseURL ? { baseURL: settings.baseURL } : {}),
    maxRetries: 0,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    logLevel: 'off',
  };
}

/**
 * The per-call options both vendor SDKs take. The SDKs' `timeout` covers the wait for headers
 * only; the combined signal also ends a body that stalls half-way, so no call outlives its deadline.
 */
export function callOptions(req: ModelRequest): { signal: AbortSignal; timeout: number } {
  return { signal: deadlineSignal(req.timeoutMs, [req.signal]).signal, timeout: req.timeoutMs };
}

/**
 * A signal that aborts when any of `sources` does, or after `ms` with a `TimeoutError`. Built
 * from a plain controller held by its timer and by the sources' listeners, not from
 * `AbortSignal.any` and `AbortSignal.timeout`: Node holds those weakly, and a garbage collection
 * during the call can drop the timeout before it fires, so a stream that stalls is never cut
 * (`test/upstream/deadline-signal.test.ts` shows it under forced collections). `clear()` stops the
 * timer and unhooks the sources once the call is over; left alone, the timer fires harmlessly
 * (unref'd: it keeps no process alive).
 */
export function deadlineSignal(
  ms: number,
  sources: readonly AbortSignal[],
): { signal: AbortSignal; clear(): void; timedOut(): boolean } {
  const controller = new AbortController();
  let timedOut = false;
  const unhook: (() => void)[] = [];
  const abort = (reason: unknown): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    for (const off of unhook) off();
  };
  const timer = setTimeout(() => {
    if (!controller.signal.aborted) timedOut = true;
    abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  timer.unref();
  for (const source of sources) {
    if (source.aborted) {
      abort(source.reason);
      break;
    }
    const onAbort = (): void => abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    unhook.push(() => source.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      for (const off of unhook) off();
    },
    /** The timer ended it (not a source). */
    timedOut: () => timedOut,
  };
}

/**
 * A stream that stopped before the model said it had finished: aborted (deadline or cancel; the
 * SDKs end such a stream silently) is a Timeout, otherwise the transport dropped (Connection).
 * Both are retryable; the partial answer is never used.
 */
export function streamEndedEarly(signal: AbortSignal): ProviderFailure {
  return signal.aborted
    ? new ProviderFailure(FailureType.Timeout, 'stream aborted before the model finished')
    : new ProviderFailure(FailureType.Connection, 'stream ended before the model finished');
}
