import {
  context,
  isSpanContextValid,
  trace,
  TraceFlags,
  type SpanContext,
} from '@opentelemetry/api';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { Headers } from '@temporalio/common';
import { readTraceHeader, withTraceHeader } from '../contracts/trace-header';
import { activityTrace, fileActivityTrace, requestTrace } from './trace-fast';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptors,
  ActivityOutboundCallsInterceptor,
  Next,
} from '@temporalio/worker';

/**
 * Keel's Temporal client and activity interceptors when tracing is on (docs/traces.md,
 * "Overhead"). A sampled context goes through `@temporalio/interceptors-opentelemetry`'s: spans
 * `StartWorkflow:<type>`, `RunActivity:<type>`, exported. An unsampled one (Keel's default for a
 * request whose caller sent no sampled `traceparent`) makes no span at all: the start's
 * `_tracer-data` header carries the request's ids as they are, and an activity files the ids
 * read from it (./trace-fast.ts), so every activity log line keeps the trace id. The header is the same as the
 * package's (`{"traceparent": …}`, JSON), so a worker of either kind reads it.
 *
 * `followsParent` says whether the sampler keeps an unsampled parent's children unsampled (Keel's
 * default and the SDK's `parentbased_*`). When it does not (`always_on`, a bare
 * `traceidratio`), everything goes through the package's interceptors, as before.
 */

export { TRACE_HEADER, withTraceHeader } from '../contracts/trace-header';

/**
 * What a client call carries, given the trace it belongs to: the ids of an unsampled one (the
 * active context's; else, in an activity, the ids filed for it; else those the API holds for the
 * request id the workflow's start input carries: ./trace-fast.ts), `none` for a call in no trace
 * at all while the root sampler samples nothing (background work: nothing to carry), or
 * `package` (a sampled context, or a root the sampler may sample).
 */
function route(rootUnsampled: boolean, input?: object): SpanContext | 'none' | 'package' {
  const ids =
    trace.getSpanContext(context.active()) ??
    activityTrace() ??
    requestTrace(startArg(input)?.requestId);
  if (!ids || !isSpanContextValid(ids)) return rootUnsampled ? 'none' : 'package';
  return ids.traceFlags & TraceFlags.SAMPLED ? 'package' : ids;
}

/** The first argument of a workflow start (Keel's start inputs are one object), if any. */
function startArg(input: object | undefined): { requestId?: unknown } | undefined {
  const options = input as
    { options?: { args?: unknown[] }; workflowStartOptions?: { args?: unknown[] } } | undefined;
  const first = (options?.options?.args ?? options?.workflowStartOptions?.args)?.[0];
  return typeof first === 'object' && first !== null ? first : undefined;
}

/** The (remote) span context the `_tracer-data` header names, if it is a JSON `{traceparent}`. */
export function traceHeaderContext(headers: Headers): SpanContext | undefined {
  const ids = readTraceHeader(headers);
  return ids ? { ...ids, isRemote: true } : undefined;
}

/**
 * One client call with a header: for an unsampled trace, the bare header and no span; for none
 * (while nothing is sampled at the root), the call as it is; else the package's method.
 */
function headed<I extends { headers: Headers }, R>(
  rootUnsampled: boolean,
  viaPackage: (input: I, next: (input: I) => R) => R,
): (input: I, next: (input: I) => R) => R {
  return (input, next) => {
    const to = route(rootUnsampled, input);
    if (to === 'package') return viaPackage(input, next);
    return next(to === 'none' ? input : { ...input, headers: withTraceHeader(input.headers, to) });
  };
}

/**
 * The client interceptor: the package's for a sampled context, a bare header for an unsampled
 * one. `rootUnsampled`: the root sampler samples nothing (Keel's default), so a call in no trace
 * goes as it is, with no span asked for.
 */
export function traceClientInterceptor(
  followsParent: boolean,
  rootUnsampled = false,
): WorkflowClientInterceptor {
  const sampled = new OpenTelemetryWorkflowClientInterceptor();
  if (!followsParent) return sampled;
  const bare = (input?: object) => route(rootUnsampled, input) !== 'package';
  return {
    start: headed(rootUnsampled, (input, next) => sampled.start(input, next)),
    startWithDetails: headed(rootUnsampled, (input, next) => sampled.startWithDetails(input, next)),
    signalWithStart: headed(rootUnsampled, (input, next) => sampled.signalWithStart(input, next)),
    signal: headed(rootUnsampled, (input, next) => sampled.signal(input, next)),
    startUpdate: headed(rootUnsampled, (input, next) => sampled.startUpdate(input, next)),
    startUpdateWithStart: (input, next) => {
      const to = route(rootUnsampled, input);
      if (to === 'package') return sampled.startUpdateWithStart(input, next);
      if (to === 'none') return next(input);
      return next({
        ...input,
        workflowStartHeaders: withTraceHeader(input.workflowStartHeaders, to),
        updateHeaders: withTraceHeader(input.updateHeaders, to),
      });
    },
    query: headed(rootUnsampled, (input, next) => sampled.query(input, next)),
    // No header for these: the package only makes a span, which an unsampled context skips.
    terminate: (input, next) => (bare() ? next(input) : sampled.terminate(input, next)),
    cancel: (input, next) => (bare() ? next(input) : sampled.cancel(input, next)),
    describe: (input, next) => (bare() ? next(input) : sampled.describe(input, next)),
  };
}

/**
 * The activity interceptors: for an activity whose header names an unsampled context, no span
 * and no OpenTelemetry context: the ids filed under the activity's context (./trace-fast.ts), for
 * Keel's log lines (`trace_id`), the provider call (which skips its span) and Temporal's own
 * activity log lines. Anything else goes through the package's,
 * which makes `RunActivity:<type>`; those are built only then (an activity's interceptors are
 * built for every activity, so the fast path builds nothing it does not use).
 */
export function traceActivityInterceptors(
  ctx: ActivityContext,
  followsParent: boolean,
  rootUnsampled = false,
): ActivityInterceptors {
  if (!followsParent) {
    return {
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    };
  }
  /** Set by `execute` before the activity's code runs: the unsampled context it runs in. */
  let fast: SpanContext | undefined;
  let sampledOutbound: OpenTelemetryActivityOutboundInterceptor | undefined;
  const inbound: ActivityInboundCallsInterceptor = {
    execute: (
      input: ActivityExecuteInput,
      next: Next<ActivityInboundCallsInterceptor, 'execute'>,
    ) => {
      const ids = traceHeaderContext(input.headers);
      // No trace (background work) while nothing is sampled at the root: nothing to do.
      if (!ids && rootUnsampled) return next(input);
      if (!ids || ids.traceFlags & TraceFlags.SAMPLED) {
        fast = undefined;
        return new OpenTelemetryActivityInboundInterceptor(ctx).execute(input, next);
      }
      // No OpenTelemetry context (./trace-fast.ts says why): the ids are filed under the
      // activity's own context, where log lines and the provider call find them.
      fast = ids;
      fileActivityTrace(ctx, ids);
      return next(input);
    },
  };
  const outbound: ActivityOutboundCallsInterceptor = {
    getLogAttributes: (input, next) => {
      if (fast) {
        return next({
          trace_id: fast.traceId,
          span_id: fast.spanId,
          trace_flags: `0${fast.traceFlags.toString(16)}`,
          ...input,
        });
      }
      sampledOutbound ??= new OpenTelemetryActivityOutboundInterceptor(ctx);
      return sampledOutbound.getLogAttributes(input, next);
    },
  };
  return { inbound, outbound };
}
