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
  return {
    signal: AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]),
    timeout: req.timeoutMs,
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
