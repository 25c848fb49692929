import {
  proxySinks,
  workflowInfo,
  type Headers,
  type Next,
  type Sinks,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import {
  readTraceHeader,
  withTraceHeader,
  type TraceParent,
} from '../shared/contracts/trace-header';

/**
 * The workflow side of tracing (docs/traces.md), bundled only when tracing is on
 * (shared/platform/tracing.ts names this module). It continues the trace the client's
 * OpenTelemetry interceptor put in the start's `_tracer-data` header: one `RunWorkflow:<type>`
 * span per run, exported through the `keelTraces` sink when the run ends, and its context in the
 * same header of every activity, local activity, child workflow and continue-as-new, where
 * `@temporalio/interceptors-opentelemetry`'s activity interceptor picks it up.
 *
 * Why not that package's own workflow interceptors: they bring `@opentelemetry/sdk-trace-base`
 * into the bundle, evaluated again for every workflow run; measured, +13 ms p50 on a sync
 * `classify-ticket` (bench/tracing.ts). This module imports nothing but the workflow SDK and the
 * header's own definition (shared/contracts/trace-header.ts).
 * Span ids come from the sandbox's seeded `Math.random` and times from workflow time, so a
 * replay makes the same span; sinks are not called during replay.
 */

/** One finished workflow span, as it crosses the sink (plain data). */
export interface WorkflowSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** W3C trace flags, two hex digits (`01` = sampled). */
  traceFlags: string;
  startMs: number;
  endMs: number;
  /** The failure's type when the run failed (never its message). */
  errorType?: string;
}

export interface KeelTraceSinks extends Sinks {
  keelTraces: { export(span: WorkflowSpan): void };
}

/** 16 hex digits from the sandbox's deterministic `Math.random`, never all zeros. */
function spanId(): string {
  let id = '';
  while (id.length < 16)
    id += Math.floor(Math.random() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

export const interceptors = (): WorkflowInterceptors => {
  const { keelTraces } = proxySinks<KeelTraceSinks>();
  let run: TraceParent | undefined;
  const inbound: WorkflowInboundCallsInterceptor = {
    async execute(input, next) {
      const parent = readTraceHeader(input.headers);
      if (!parent) return next(input);
      run = { traceId: parent.traceId, spanId: spanId(), traceFlags: parent.traceFlags };
      const startMs = Date.now();
      const end = (errorType?: string): void => {
        // Not sampled upstream: the context still travels, but nothing is exported.
        if ((parent.traceFlags & 1) === 0 || !run) return;
        keelTraces.export({
          name: `RunWorkflow:${workflowInfo().workflowType}`,
          ...run,
          traceFlags: run.traceFlags.toString(16).padStart(2, '0'),
          parentSpanId: parent.spanId,
          startMs,
          endMs: Date.now(),
          ...(errorType ? { errorType } : {}),
        });
      };
      try {
        const result = await next(input);
        end();
        return result;
      } catch (err) {
        const type = err instanceof Error ? err.name : 'Error';
        end(type === 'ContinueAsNew' ? undefined : type);
        throw err;
      }
    },
  };
  // The run's header, converted once: every activity of the run carries the same context.
  let header: Headers | undefined;
  const carry =
    <I extends { headers: Headers }, O>(next: (input: I) => O) =>
    (input: I): O => {
      if (!run) return next(input);
      header ??= withTraceHeader({}, run);
      return next({ ...input, headers: { ...input.headers, ...header } });
    };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) =>
      carry(next)(input),
    scheduleLocalActivity: (
      input,
      next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
    ) => carry(next)(input),
    startChildWorkflowExecution: (
      input,
      next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
    ) => carry(next)(input),
    continueAsNew: (input, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>) =>
      carry(next)(input),
  };
  return { inbound: [inbound], outbound: [outbound] };
};
