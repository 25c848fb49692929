import {
  context,
  isSpanContextValid,
  trace,
  TraceFlags,
  type SpanContext,
} from '@opentelemetry/api';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { Headers, Payload } from '@temporalio/common';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptors,
  Next,
} from '@temporalio/worker';

/**
 * Keel's Temporal client and activity interceptors when tracing is on (docs/traces.md,
 * "Overhead"). A sampled context goes through `@temporalio/interceptors-opentelemetry`'s: spans
 * `StartWorkflow:<type>`, `RunActivity:<type>`, exported. An unsampled one (Keel's default for a
 * request whose caller sent no sampled `traceparent`) makes no span at all: the start's
 * `_tracer-data` header carries the request's context as is, and an activity runs inside the
 * context read from it, so every log line keeps the trace id. The header is the same as the
 * package's (`{"traceparent": …}`, JSON), so a worker of either kind reads it.
 *
 * `followsParent` says whether the sampler keeps an unsampled parent's children unsampled (Keel's
 * default and the SDK's `parentbased_*`). When it does not (`always_on`, a bare
 * `traceidratio`), everything goes through the package's interceptors, as before.
 */

/** The header `@temporalio/interceptors-opentelemetry` reads and writes (its TRACE_HEADER). */
export const TRACE_HEADER = '_tracer-data';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (s: string): Uint8Array => encoder.encode(s);
const decode = (bytes: Uint8Array): string => decoder.decode(bytes);
/** The JSON converter's encoding, as `defaultPayloadConverter` writes it. */
const JSON_ENCODING = encode('json/plain');

/** The active context's span ids when valid and not sampled: the fast path's case. */
function unsampled(): SpanContext | undefined {
  const ids = trace.getSpanContext(context.active());
  return ids && isSpanContextValid(ids) && (ids.traceFlags & TraceFlags.SAMPLED) === 0
    ? ids
    : undefined;
}

/** `headers` plus the `_tracer-data` header naming `ids`, as the package's converter writes it. */
export function withTraceHeader(headers: Headers, ids: SpanContext): Headers {
  const flags = ids.traceFlags.toString(16).padStart(2, '0');
  const traceparent = `00-${ids.traceId}-${ids.spanId}-${flags}`;
  const payload: Payload = {
    metadata: { encoding: JSON_ENCODING },
    data: encode(JSON.stringify({ traceparent })),
  };
  return { ...headers, [TRACE_HEADER]: payload };
}

/** The span context the `_tracer-data` header names, if it is a JSON `{traceparent}`. */
export function traceHeaderContext(headers: Headers): SpanContext | undefined {
  const payload = headers[TRACE_HEADER];
  const encoding = payload?.metadata?.encoding;
  if (!payload?.data || !encoding || decode(encoding) !== 'json/plain') return undefined;
  let carrier: unknown;
  try {
    carrier = JSON.parse(decode(payload.data));
  } catch {
    return undefined;
  }
  const traceparent = (carrier as { traceparent?: unknown } | null)?.traceparent;
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return undefined;
  return {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16),
    isRemote: true,
  };
}

/** The client interceptor: the package's for a sampled (or no) context, a bare header otherwise. */
export function traceClientInterceptor(followsParent: boolean): WorkflowClientInterceptor {
  const sampled = new OpenTelemetryWorkflowClientInterceptor();
  if (!followsParent) return sampled;
  return {
    start: (input, next) => {
      const ids = unsampled();
      return ids
        ? next({ ...input, headers: withTraceHeader(input.headers, ids) })
        : sampled.start(input, next);
    },
    startWithDetails: (input, next) => {
      const ids = unsampled();
      return ids
        ? next({ ...input, headers: withTraceHeader(input.headers, ids) })
        : sampled.startWithDetails(input, next);
    },
    signalWithStart: (input, next) => {
      const ids = unsampled();
      return ids
        ? next({ ...input, headers: withTraceHeader(input.headers, ids) })
        : sampled.signalWithStart(input, next);
    },
    signal: (input, next) => {
      const ids = unsampled();
      return ids
        ? next({ ...input, headers: withTraceHeader(input.headers, ids) })
        : sampled.signal(input, next);
    },
    startUpdate: (input, next) => {
      const ids = unsampled();
      return ids
        ? next({ ...input, headers: withTraceHeader(input.headers, ids) })
        : sampled.startUpdate(input, next);
    },
    startUpdateWithStart: (input, next) => {
      const ids = unsampled();
      return ids
        ? next({
            ...input,
            workflowStartHeaders: withTraceHeader(input.workflowStartHeaders, ids),
            updateHeaders: withTraceHeader(input.updateHeaders, ids),
          })
        : sampled.startUpdateWithStart(input, next);
    },
    query: (input, next) => {
      const ids = unsampled();
      return ids
        ? next({ ...input, headers: withTraceHeader(input.headers, ids) })
        : sampled.query(input, next);
    },
    // No header for these: the package only makes a span, which an unsampled context skips.
    terminate: (input, next) => (unsampled() ? next(input) : sampled.terminate(input, next)),
    cancel: (input, next) => (unsampled() ? next(input) : sampled.cancel(input, next)),
    describe: (input, next) => (unsampled() ? next(input) : sampled.describe(input, next)),
  };
}

/**
 * The activity interceptors: for an activity whose header names an unsampled context, no span,
 * only that context made active (log lines' `trace_id`; a provider call's span would be
 * unsampled too). Anything else goes through the package's, which makes `RunActivity:<type>`.
 */
export function traceActivityInterceptors(
  ctx: ActivityContext,
  followsParent: boolean,
): ActivityInterceptors {
  const sampled = new OpenTelemetryActivityInboundInterceptor(ctx);
  const inbound: ActivityInboundCallsInterceptor = followsParent
    ? {
        execute: (
          input: ActivityExecuteInput,
          next: Next<ActivityInboundCallsInterceptor, 'execute'>,
        ) => {
          const ids = traceHeaderContext(input.headers);
          if (!ids || ids.traceFlags & TraceFlags.SAMPLED) return sampled.execute(input, next);
          return context.with(trace.setSpanContext(context.active(), ids), () => next(input));
        },
      }
    : sampled;
  return { inbound, outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) };
}
