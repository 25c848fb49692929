import type { SpanContext } from '@opentelemetry/api';

/**
 * Where an unsampled trace's ids live while Keel skips OpenTelemetry's context (docs/traces.md,
 * "Overhead"). OpenTelemetry's Node context manager is an AsyncLocalStorage: the first
 * `context.with` enables it for good, and from then on every promise the process makes pays for
 * one more store (measured: ~60-80 ns each, some tens of thousands per task, so 1-2 ms of CPU
 * per task). A request that cannot be sampled never makes that first call. Its ids travel
 * instead:
 * - in the API, by request id (`x-request-id`, which every task's start input carries): the HTTP
 *   middleware holds them for the request's life, the Temporal client interceptor reads them for
 *   the start's `_tracer-data` header;
 * - in an activity, by the activity's own context (Temporal's AsyncLocalStorage, enabled anyway):
 *   the activity interceptor files them, log lines and the provider call read them.
 * Light on purpose: the logger imports it.
 */

const byRequest = new Map<string, SpanContext>();

/** Holds an unsampled request's ids under its request id until the returned release is called. */
export function holdRequestTrace(requestId: string, ids: SpanContext): () => void {
  byRequest.set(requestId, ids);
  return () => {
    if (byRequest.get(requestId) === ids) byRequest.delete(requestId);
  };
}

/** The ids held for a request id, if its request is still being answered. */
export function requestTrace(requestId: unknown): SpanContext | undefined {
  return typeof requestId === 'string' ? byRequest.get(requestId) : undefined;
}

/** Unsampled ids by activity context object (the one Temporal keeps in its AsyncLocalStorage). */
const byActivity = new WeakMap<object, SpanContext>();
const ACTIVITY_STORAGE = Symbol.for('__temporal_activity_context_storage__');

/** Files an activity's unsampled ids under its context. */
export function fileActivityTrace(activityContext: object, ids: SpanContext): void {
  byActivity.set(activityContext, ids);
}

/** The unsampled ids of the activity running now, if any (never throws outside an activity). */
export function activityTrace(): SpanContext | undefined {
  const storage = (globalThis as Record<symbol, { getStore(): unknown } | undefined>)[
    ACTIVITY_STORAGE
  ];
  const current = storage?.getStore();
  return typeof current === 'object' && current !== null ? byActivity.get(current) : undefined;
}
