import { context, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';
import { asyncLocalStorage, type Context as ActivityContext } from '@temporalio/activity';
import type { WorkflowStartInput } from '@temporalio/client';
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/platform/config';
import {
  TRACE_HEADER,
  traceActivityInterceptors,
  traceClientInterceptor,
  traceHeaderContext,
  withTraceHeader,
} from '../../shared/platform/trace-interceptors';
import { fileActivityTrace, holdRequestTrace } from '../../shared/platform/trace-fast';
import { capturedLogger } from '../support/captured-logger';
import { countingTracer } from '../support/counting-tracer';

/**
 * Keel's Temporal client and activity interceptors (shared/platform/trace-interceptors.ts), with
 * the SDK's provider registered as tracing on does it (Keel's default sampler, counted): an
 * unsampled context asks the sampler nothing, makes no span, and still carries its trace id in
 * the `_tracer-data` header to the activity, whose log lines have it; a sampled one goes through
 * the OpenTelemetry package's interceptors and its spans are exported with the right parents.
 */
const { provider, exporter, asked, reset } = countingTracer();
const { logger, lines } = capturedLogger();

beforeAll(() => {
  provider.register();
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});
beforeEach(() => {
  reset();
  lines.length = 0;
});

const ids = (flags: TraceFlags): SpanContext => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: flags,
  isRemote: true,
});
const inContext = (span: SpanContext): Context => trace.setSpanContext(context.active(), span);

const startInput = (headers: Headers = {}): WorkflowStartInput =>
  ({ workflowType: 'runTask', headers, options: { workflowId: 'wf-1' } }) as WorkflowStartInput;

const activityCtx = {
  info: {
    activityType: 'callModel',
    activityId: '3',
    inWorkflow: true,
    workflowExecution: { workflowId: 'wf-1', runId: 'run-1' },
  },
} as unknown as ActivityContext;

const activityInput = (headers: Headers): ActivityExecuteInput => ({ args: [], headers });

describe('the _tracer-data header', () => {
  it('is written as the OpenTelemetry package’s converter writes it, and read back', () => {
    const headers = withTraceHeader({}, ids(TraceFlags.NONE));
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    expect(headers[TRACE_HEADER]).toEqual(defaultPayloadConverter.toPayload({ traceparent }));
    expect(traceHeaderContext(headers)).toEqual(ids(TraceFlags.NONE));
    expect(traceHeaderContext({})).toBeUndefined();
  });

  it('is read whatever the JSON’s spacing, and only as JSON with a W3C traceparent', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const json = (text: string) => ({
      [TRACE_HEADER]: { ...defaultPayloadConverter.toPayload({}), data: Buffer.from(text) },
    });
    expect(traceHeaderContext(json(`{ "traceparent" : "${traceparent}" }`))).toEqual(
      ids(TraceFlags.SAMPLED),
    );
    expect(traceHeaderContext(json(`{"other":1,"traceparent":"${traceparent}"}`))).toEqual(
      ids(TraceFlags.SAMPLED),
    );
    expect(traceHeaderContext(json('{"traceparent":"01-zz"}'))).toBeUndefined();
    expect(traceHeaderContext(json('not json'))).toBeUndefined();
    const binary = {
      [TRACE_HEADER]: {
        metadata: { encoding: Buffer.from('binary/plain') },
        data: Buffer.from(`{"traceparent":"${traceparent}"}`),
      },
    };
    expect(traceHeaderContext(binary)).toBeUndefined();
  });
});

describe('the client interceptor', () => {
  const client = traceClientInterceptor(true);

  it('for an unsampled context: no span, the context in the header', async () => {
    let seen: Headers | undefined;
    await context.with(inContext(ids(TraceFlags.NONE)), () =>
      client.startWithDetails!(startInput(), (input) => {
        seen = input.headers;
        return Promise.resolve({ runId: 'run-1', eagerlyStarted: false });
      }),
    );
    expect(asked()).toBe(0);
    expect(traceHeaderContext(seen!)).toEqual(ids(TraceFlags.NONE));
  });

  it('with no context: the ids the API holds for the start input’s request id', async () => {
    const release = holdRequestTrace('req-7', ids(TraceFlags.NONE));
    const seen: Headers[] = [];
    const start = (args: unknown[]) =>
      client.startWithDetails!(
        { ...startInput(), options: { workflowId: 'wf-1', args } } as WorkflowStartInput,
        (input) => {
          seen.push(input.headers);
          return Promise.resolve({ runId: 'run-1', eagerlyStarted: false });
        },
      );
    await start([{ task: 'classify-ticket', requestId: 'req-7' }]);
    release();
    await start([{ task: 'classify-ticket', requestId: 'req-7' }]);
    expect(traceHeaderContext(seen[0]!)).toEqual(ids(TraceFlags.NONE));
    // Released once answered: a later start of that id goes the package's way (no context: a
    // root span of its own, unsampled by Keel's sampler, in a trace of its own).
    expect(traceHeaderContext(seen[1]!)?.traceId).not.toBe(ids(TraceFlags.NONE).traceId);
    expect(asked()).toBe(1);
  });

  it('under Keel’s root sampler, a call in no trace goes as it is: no header, no span asked for', async () => {
    const keel = traceClientInterceptor(true, true);
    let seen: Headers | undefined;
    await keel.startWithDetails!(startInput({ other: {} }), (input) => {
      seen = input.headers;
      return Promise.resolve({ runId: 'run-1', eagerlyStarted: false });
    });
    expect(Object.keys(seen!)).toEqual(['other']);
    expect(asked()).toBe(0);
  });

  it('inside an activity of an unsampled trace (no context entered): the activity’s ids', async () => {
    const keel = traceClientInterceptor(true, true);
    const activity = { info: {} };
    fileActivityTrace(activity, ids(TraceFlags.NONE));
    let seen: Headers | undefined;
    await asyncLocalStorage.run(activity as never, () =>
      keel.signal!(
        { signalName: 'report', args: [], headers: {}, workflowExecution: { workflowId: 'h' } },
        (input) => {
          seen = input.headers;
          return Promise.resolve();
        },
      ),
    );
    expect(traceHeaderContext(seen!)).toEqual(ids(TraceFlags.NONE));
    expect(asked()).toBe(0);
  });

  it('for a sampled context: the StartWorkflow span, its context in the header', async () => {
    let seen: Headers | undefined;
    await context.with(inContext(ids(TraceFlags.SAMPLED)), () =>
      client.startWithDetails!(startInput(), (input) => {
        seen = input.headers;
        return Promise.resolve({ runId: 'run-1', eagerlyStarted: false });
      }),
    );
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('StartWorkflow:runTask');
    expect(span!.parentSpanId).toBe(ids(TraceFlags.SAMPLED).spanId);
    expect(span!.attributes.temporalWorkflowId).toBe('wf-1');
    expect(traceHeaderContext(seen!)?.spanId).toBe(span!.spanContext().spanId);
  });
});

describe('the activity interceptors', () => {
  const { inbound } = traceActivityInterceptors(activityCtx, true);

  it('for an unsampled header: no span, no context entered, the trace id in the activity’s log lines', async () => {
    let active: SpanContext | undefined;
    // As the SDK runs an activity's interceptors: inside its own AsyncLocalStorage.
    await asyncLocalStorage.run(activityCtx, () =>
      inbound!.execute!(activityInput(withTraceHeader({}, ids(TraceFlags.NONE))), () => {
        active = trace.getSpanContext(context.active());
        logger.info('in the activity');
        return Promise.resolve(undefined);
      }),
    );
    expect(asked()).toBe(0);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(active).toBeUndefined();
    expect(lines[0]).toMatchObject({
      trace_id: ids(TraceFlags.NONE).traceId,
      span_id: ids(TraceFlags.NONE).spanId,
    });
  });

  it('for an unsampled header: Temporal’s activity log lines get its ids, without a span', async () => {
    const { inbound: fastIn, outbound } = traceActivityInterceptors(activityCtx, true);
    let attributes: Record<string, unknown> = {};
    await fastIn!.execute!(activityInput(withTraceHeader({}, ids(TraceFlags.NONE))), () => {
      attributes = outbound!.getLogAttributes!({ activityType: 'callModel' }, (a) => a);
      return Promise.resolve(undefined);
    });
    expect(attributes).toEqual({
      trace_id: ids(TraceFlags.NONE).traceId,
      span_id: ids(TraceFlags.NONE).spanId,
      trace_flags: '00',
      activityType: 'callModel',
    });
    expect(asked()).toBe(0);
  });

  it('for a sampled header: RunActivity under the header’s span, its ids in the log lines', async () => {
    await inbound!.execute!(activityInput(withTraceHeader({}, ids(TraceFlags.SAMPLED))), () => {
      logger.info('in the activity');
      return Promise.resolve(undefined);
    });
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('RunActivity:callModel');
    expect(span!.spanContext().traceId).toBe(ids(TraceFlags.SAMPLED).traceId);
    expect(span!.parentSpanId).toBe(ids(TraceFlags.SAMPLED).spanId);
    expect(lines[0]).toMatchObject({
      trace_id: ids(TraceFlags.SAMPLED).traceId,
      span_id: span!.spanContext().spanId,
    });
  });

  it('under Keel’s root sampler, an activity with no header runs as it is, no span asked for', async () => {
    const keel = traceActivityInterceptors(activityCtx, true, true).inbound!;
    let ran = false;
    await keel.execute!(activityInput({}), () => {
      ran = true;
      return Promise.resolve(undefined);
    });
    expect(ran).toBe(true);
    expect(asked()).toBe(0);
  });

  it('with a sampler that ignores the parent: every activity through the package’s', async () => {
    const always = traceActivityInterceptors(activityCtx, false).inbound!;
    await always.execute!(activityInput(withTraceHeader({}, ids(TraceFlags.NONE))), () =>
      Promise.resolve(undefined),
    );
    expect(asked()).toBe(1);
  });
});

describe('which samplers take the no-span path for an unsampled context', () => {
  const followsParent = (sampler?: string): boolean | undefined =>
    loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      ...(sampler ? { OTEL_TRACES_SAMPLER: sampler } : {}),
    }).tracing?.followsParent;

  it('Keel’s default and the parent-based ones; not those that ignore the parent', () => {
    expect(followsParent()).toBe(true);
    expect(followsParent('parentbased_always_on')).toBe(true);
    expect(followsParent('parentbased_traceidratio')).toBe(true);
    expect(followsParent('always_off')).toBe(true);
    expect(followsParent('always_on')).toBe(false);
    expect(followsParent('traceidratio')).toBe(false);
  });
});
