import path from 'node:path';
import { createTraceState, diag, DiagLogLevel, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  OpenTelemetryNexusInboundInterceptor,
  OpenTelemetryNexusOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { KeelConfig } from './config';
import type { Logger } from './logger';
import type { InjectedSinks } from '@temporalio/worker';
import type { KeelTraceSinks, WorkflowSpan } from '../../workflows/trace-context';
import type { TemporalHooks } from './temporal-connection';
import { traceActivityInterceptors, traceClientInterceptor } from './trace-interceptors';

/**
 * OpenTelemetry tracing for one process (docs/traces.md): the Node SDK's tracer provider,
 * registered globally (W3C `traceparent` propagation, AsyncLocalStorage context), one batch
 * processor to an OTLP/HTTP exporter, and the Temporal interceptors that carry the trace through
 * workflow starts, workflow code (spans exported through a sink) and activities. Started only when
 * the config says so; off, nothing here is loaded into the request path.
 */
export interface Tracing {
  /** What the one Temporal connection factory adds: client and worker interceptors, the sink. */
  readonly temporalHooks: Pick<TemporalHooks, 'interceptors' | 'sinks'>;
  /** Sends the spans still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * The workflow interceptors module, bundled with the workflows when tracing is on: Keel's own,
 * importing only the workflow SDK (workflows/trace-context.ts says why not the package's).
 */
export const WORKFLOW_TRACING_MODULE = path.join(__dirname, '../../workflows/trace-context');

/**
 * Loaded by the entry points only when tracing is on (`await import`): the SDK and the exporter
 * cost a few hundred ms of boot otherwise.
 */
export function startTracing(options: {
  settings: NonNullable<KeelConfig['tracing']>;
  /** `server` or `worker`: a resource attribute, so one service's two roles can be told apart. */
  component: string;
  logger: Logger;
}): Tracing {
  const { settings, logger } = options;
  // The SDK's own complaints (an unreachable collector) go to Keel's log, not to stderr.
  diag.setLogger(
    {
      error: (msg) => logger.warn({ otel: msg }, 'tracing'),
      warn: (msg) => logger.warn({ otel: msg }, 'tracing'),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );
  // OTEL_SERVICE_NAME is in settings (default `keel`); OTEL_RESOURCE_ATTRIBUTES adds to it.
  const resource = new Resource({
    'service.name': settings.serviceName,
    'keel.component': options.component,
  }).merge(envDetectorSync.detect());
  const exporter: SpanExporter =
    settings.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter();
  const processor = withoutMessages(new BatchSpanProcessor(exporter));
  // The sampler comes from OTEL_TRACES_SAMPLER / _ARG when set. Keel's default samples nothing of
  // its own: a request is recorded when its caller's traceparent is sampled (docs/traces.md).
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [processor],
    ...(settings.samplerFromEnv
      ? {}
      : { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }),
  });
  provider.register();
  logger.info(
    { exporter: settings.exporter, service: settings.serviceName },
    'tracing on (OpenTelemetry)',
  );
  return {
    temporalHooks: {
      interceptors: {
        // Keel's: the package's for a sampled context, no span for an unsampled one.
        client: {
          workflow: [traceClientInterceptor(settings.followsParent, !settings.samplerFromEnv)],
        },
        worker: {
          workflowModules: [WORKFLOW_TRACING_MODULE],
          activity: [
            (ctx) =>
              traceActivityInterceptors(ctx, settings.followsParent, !settings.samplerFromEnv),
          ],
          nexus: [
            (ctx) => ({
              inbound: new OpenTelemetryNexusInboundInterceptor(ctx),
              outbound: new OpenTelemetryNexusOutboundInterceptor(ctx),
            }),
          ],
        },
      },
      // Workflow code cannot export (no I/O in the sandbox): its spans leave through this sink.
      sinks: workflowSpanSink(processor, resource),
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The `keelTraces` sink: a workflow's finished span, handed to the batch processor. */
function workflowSpanSink(
  processor: SpanProcessor,
  resource: Resource,
): InjectedSinks<KeelTraceSinks> {
  return {
    keelTraces: {
      export: {
        fn: (info, span: WorkflowSpan) => {
          const ids = {
            traceId: span.traceId,
            spanId: span.spanId,
            traceFlags: parseInt(span.traceFlags, 16),
            traceState: createTraceState(),
          };
          const startTime = millisToHrTime(span.startMs);
          const endTime = millisToHrTime(Math.max(span.startMs, span.endMs));
          const readable: ReadableSpan = {
            name: span.name,
            kind: SpanKind.INTERNAL,
            spanContext: () => ids,
            parentSpanId: span.parentSpanId,
            startTime,
            endTime,
            duration: hrTimeDuration(startTime, endTime),
            status: { code: span.errorType ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
            attributes: {
              temporalWorkflowId: info.workflowId,
              run_id: info.runId,
              'temporal.task_queue': info.taskQueue,
              ...(span.errorType ? { 'error.type': span.errorType } : {}),
            },
            links: [],
            events: [],
            ended: true,
            resource,
            instrumentationLibrary: { name: 'keel-workflow' },
            droppedAttributesCount: 0,
            droppedEventsCount: 0,
            droppedLinksCount: 0,
          };
          processor.onEnd(readable);
        },
      },
    },
  };
}

/**
 * The processor, with every span's error messages taken out before export: a status message and
 * an exception event's message and stack (the Temporal interceptors record a failed activity's
 * error with them) may quote a caller's input, and with payload encryption on Keel keeps failure
 * messages encrypted even in Temporal's history. The exception's type stays.
 */
export function withoutMessages(inner: SpanProcessor): SpanProcessor {
  return {
    onStart: (span, parent) => inner.onStart(span, parent),
    onEnd: (span) => inner.onEnd(scrubbed(span)),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
}

function scrubbed(span: ReadableSpan): ReadableSpan {
  if (span.status.message === undefined && span.events.length === 0) return span;
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanId: span.parentSpanId,
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    status: { code: span.status.code },
    attributes: span.attributes,
    links: span.links,
    events: span.events.map((event) => ({
      name: event.name,
      time: event.time,
      ...(event.name === 'exception' && event.attributes?.['exception.type'] !== undefined
        ? { attributes: { 'exception.type': event.attributes['exception.type'] } }
        : {}),
    })),
    ended: span.ended,
    resource: span.resource,
    instrumentationLibrary: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
