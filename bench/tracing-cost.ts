/**
 * `npm run bench:tracing-cost [-- --requests N] [--traceparent sampled|unsampled]
 * [--interceptors keel|package]`: the CPU tracing adds to one sync
 * `classify-ticket`, measured in one process without Temporal's or the network's noise
 * (docs/traces.md; bench/tracing.ts measures end to end, where this machine's noise is larger
 * than the figure). Each simulated request does the span work a traced request does, with the
 * real code: the API's request span (server/trace-requests.ts: traceparent in and out),
 * Temporal's client interceptor (StartWorkflow, the context into the start's header), the
 * workflow's RunWorkflow span through the sink (shared/platform/tracing.ts), four activity
 * interceptors (the context out of their headers, RunActivity), the provider's GenAI span
 * (traced-provider.ts), all through the batch processor to an OTLP exporter, flushed to a
 * real Jaeger at the end (export included in the figure).
 */
import type { Context as ActivityContext } from '@temporalio/activity';
import type { WorkflowStartInput } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseArgs } from 'node:util';
import type { NextFunction, Request, Response } from 'express';
import { EventEmitter } from 'node:events';
import { tracedProvider } from '../activities/models/providers/traced-provider';
import type { ModelProvider } from '../activities/models/providers/model-provider';
import { traceRequests } from '../server/trace-requests';
import { createLogger } from '../shared/platform/logger';
import { startTracing } from '../shared/platform/tracing';
import { startJaeger } from '../test/support/jaeger';
import { round2 } from './lib/stats';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    /**
     * `sampled` (the default): every request's traceparent is sampled, every span is made and
     * exported. `unsampled`: Keel's default sampler and unsampled traceparents, nothing recorded.
     */
    traceparent: { type: 'string', default: 'sampled' },
    /**
     * With `--traceparent unsampled`: `keel` (Keel's interceptors skip the spans) or `package`
     * (`@temporalio/interceptors-opentelemetry`'s for every context, as before issue 18).
     */
    interceptors: { type: 'string', default: 'keel' },
  },
  strict: true,
});
const REQUESTS = Number(values.requests);
const SAMPLED = values.traceparent !== 'unsampled';
const FLAGS = SAMPLED ? '01' : '00';

const local: ModelProvider = {
  slug: 'openai',
  type: 'openai',
  generate: () =>
    Promise.resolve({
      text: '{}',
      model: 'ok',
      usage: { inputTokens: 91, outputTokens: 44, cachedInputTokens: 0 },
      finishReason: 'stop',
    }),
  stream: () => {
    throw new Error('not used');
  },
};

async function main(): Promise<void> {
  const jaeger = await startJaeger();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = jaeger.otlpEndpoint;
  const logger = createLogger({ name: 'bench', level: 'warn' });
  const followsParent = !SAMPLED && values.interceptors === 'keel';
  const tracing = startTracing({
    // Sampled: the SDK's sampler (always on unless OTEL_TRACES_SAMPLER says otherwise), every
    // span made. Unsampled: Keel's default sampler, which follows the unsampled traceparent.
    settings: {
      exporter: 'otlp',
      serviceName: 'keel-bench-cost',
      samplerFromEnv: SAMPLED,
      followsParent,
    },
    component: 'bench',
    logger,
  });
  const hooks = tracing.temporalHooks;
  const client = hooks.interceptors!.client!.workflow as {
    start(
      input: WorkflowStartInput,
      next: (i: WorkflowStartInput) => Promise<string>,
    ): Promise<string>;
  }[];
  const activity = hooks.interceptors!.worker!.activity![0]!;
  const sink = (
    hooks.sinks as {
      keelTraces: { export: { fn: (info: unknown, span: unknown) => void } };
    }
  ).keelTraces.export.fn;
  // `package`: every span made, as before Keel's fast paths (issue 18).
  const provider = tracedProvider(local, followsParent);
  const http = traceRequests({ followsParent, rootUnsampled: !SAMPLED });

  const request = async (n: number): Promise<void> => {
    const res = Object.assign(new EventEmitter(), {
      statusCode: 200,
      writableFinished: true,
      setHeader: () => undefined,
    });
    const req = {
      path: '/v1/tasks/classify-ticket',
      method: 'POST',
      protocol: 'http',
      baseUrl: '',
      route: { path: '/v1/tasks/:task' },
      headers: { traceparent: `00-${n.toString(16).padStart(32, '0')}-00f067aa0ba902b7-${FLAGS}` },
    };
    const inSpan = await new Promise<() => unknown>((resolve) => {
      http.open(
        req as unknown as Request,
        res as unknown as Response,
        (() =>
          http.enter(
            req as unknown as Request,
            res as unknown as Response,
            (() => resolve(() => undefined)) as NextFunction,
          )) as NextFunction,
      );
    });
    inSpan();
    let headers: Record<string, unknown> = {};
    await client[0]!.start(
      { workflowType: 'runTask', headers: {}, options: { workflowId: `job-${n}` } } as never,
      (input) => {
        headers = input.headers;
        return Promise.resolve('run');
      },
    );
    const carrier = defaultPayloadConverter.fromPayload<{ traceparent: string }>(
      headers['_tracer-data'] as never,
    );
    const [, traceId, parent] = carrier.traceparent.split('-');
    const runSpan = 'aaaaaaaaaaaaaaaa';
    const activityHeaders = {
      '_tracer-data': defaultPayloadConverter.toPayload({
        traceparent: `00-${traceId}-${runSpan}-${FLAGS}`,
      }),
    };
    for (const type of ['prepareTask', 'callModel', 'validateOutput', 'recordResult']) {
      const ctx = {
        info: {
          activityType: type,
          activityId: '1',
          inWorkflow: true,
          workflowExecution: { workflowId: `job-${n}`, runId: 'run' },
        },
      } as unknown as ActivityContext;
      const { inbound } = activity(ctx);
      await inbound!.execute!({ args: [], headers: activityHeaders }, async () =>
        type === 'callModel'
          ? provider.generate({
              model: { provider: 'openai', name: 'ok' },
              messages: [],
              responseFormat: { type: 'text' },
              maxOutputTokens: 512,
            } as never)
          : undefined,
      );
    }
    // The workflow module exports a sampled run only.
    if (SAMPLED)
      sink(
        { workflowId: `job-${n}`, runId: 'run', taskQueue: 'q' },
        {
          name: 'RunWorkflow:runTask',
          traceId,
          spanId: runSpan,
          parentSpanId: parent,
          traceFlags: '01',
          startMs: Date.now(),
          endMs: Date.now(),
        },
      );
    res.emit('finish');
  };

  for (let i = 0; i < 2_000; i++) await request(i);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) await request(i + 10_000);
  await tracing.shutdown(); // the last batches exported: their cost is in the figure
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - started;
  const result = {
    requests: REQUESTS,
    traceparent: SAMPLED ? 'sampled' : 'unsampled',
    interceptors: SAMPLED ? 'package' : values.interceptors,
    spansPerRequest: SAMPLED ? 8 : 0,
    cpuUsPerRequest: round2((used.user + used.system) / REQUESTS),
    wallUsPerRequest: round2((wallMs * 1_000) / REQUESTS),
  };
  console.log(JSON.stringify(result, null, 2));
  await jaeger.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
