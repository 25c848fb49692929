import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBody, requestId } from '../../server/http-middleware';
import { requestTrace } from '../../shared/platform/trace-fast';
import { traceRequests, unsampledRequest, type RequestSampling } from '../../server/trace-requests';
import { capturedLogger } from '../support/captured-logger';

/**
 * The API's request span (server/trace-requests.ts) and the log mixin, with the SDK's provider
 * registered as tracing on does it, exporting to memory: a caller's `traceparent` is continued
 * and answered, the handler runs inside the span (its log line carries the trace id), the span is
 * named by the route and holds nothing of the body.
 */
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const { logger, lines } = capturedLogger();

/** The test app: a span per /v1 request under `sampling`, a handler that logs. */
async function listen(sampling: RequestSampling) {
  const app = express();
  const tracing = traceRequests(sampling);
  app.use(requestId());
  app.use(tracing.open);
  app.use(jsonBody(1024));
  app.use(tracing.enter);
  app.post('/v1/tasks/:task', async (req, res) => {
    await new Promise((r) => setTimeout(r, 5));
    logger.info({ task: req.params.task }, 'handled');
    // What a workflow start inside this request would see (shared/platform/trace-fast.ts).
    const held = requestTrace(req.headers['x-request-id']);
    res.json({
      requestId: req.headers['x-request-id'],
      held: held && { traceId: held.traceId, spanId: held.spanId },
      inContext: trace.getSpanContext(context.active()) !== undefined,
    });
  });
  app.get('/healthz', (_req, res) => {
    logger.info('health');
    res.send('ok');
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let baseUrl: string;
/** Keel's default sampling: nothing of its own, a caller's sampled traceparent followed. */
let defaultUrl: string;
const servers: Array<ReturnType<express.Express['listen']>> = [];
beforeAll(async () => {
  provider.register();
  // The provider samples everything; `sampling` says what the process's sampler would do.
  const always = await listen({ followsParent: true, rootUnsampled: false });
  const keelDefault = await listen({ followsParent: true, rootUnsampled: true });
  servers.push(always.server, keelDefault.server);
  baseUrl = always.url;
  defaultUrl = keelDefault.url;
});
afterAll(async () => {
  for (const server of servers) server.close();
  await provider.shutdown();
  trace.disable();
});

describe('request spans', () => {
  it('continues the caller’s traceparent, answers its own, and logs the trace id', async () => {
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await fetch(`${baseUrl}/v1/tasks/classify-ticket`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${callerSpan}-01`,
      },
      body: JSON.stringify({ input: { body: 'my card is private-text-123' } }),
    });
    expect(res.status).toBe(200);
    const [, answeredTrace, answeredSpan] = res.headers.get('traceparent')!.split('-');
    expect(answeredTrace).toBe(traceId);

    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('POST /v1/tasks/:task');
    expect(span!.spanContext()).toMatchObject({ traceId, spanId: answeredSpan });
    expect(span!.parentSpanId).toBe(callerSpan);
    expect(span!.attributes).toEqual({
      'http.request.method': 'POST',
      'url.scheme': 'http',
      'http.route': '/v1/tasks/:task',
      'http.response.status_code': 200,
    });
    expect(JSON.stringify(span!.attributes)).not.toContain('private-text');

    const handled = lines.find((l) => l.msg === 'handled');
    expect(handled).toMatchObject({ trace_id: traceId, span_id: answeredSpan });
  });

  it('starts a trace when the caller sent none; leaves non-API paths alone', async () => {
    exporter.reset();
    const res = await fetch(`${baseUrl}/v1/tasks/summarize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(exporter.getFinishedSpans()[0]!.parentSpanId).toBeUndefined();

    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.headers.get('traceparent')).toBeNull();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    const line = lines.find((l) => l.msg === 'health')!;
    expect(line.trace_id).toBeUndefined();
  });
});

describe('requests that cannot be sampled (Keel’s default sampler)', () => {
  const post = (headers: Record<string, string> = {}) =>
    fetch(`${defaultUrl}/v1/tasks/classify-ticket`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{}',
    });

  it('makes no span and enters no context; its ids are held by request id while it is answered', async () => {
    exporter.reset();
    const res = await post();
    expect(res.status).toBe(200);
    const answered = res.headers.get('traceparent')!;
    expect(answered).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const [, traceId, spanId] = answered.split('-');
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const body = (await res.json()) as { requestId: string; held: unknown; inContext: boolean };
    expect(body.held).toEqual({ traceId, spanId });
    expect(body.inContext).toBe(false);
    // Released once answered.
    await new Promise((r) => setTimeout(r, 20));
    expect(requestTrace(body.requestId)).toBeUndefined();
    // Every request gets its own trace.
    const again = (await post()).headers.get('traceparent')!;
    expect(again.split('-')[1]).not.toBe(traceId);
  });

  it('continues an unsampled caller’s trace with a span id of its own, recorded nowhere', async () => {
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await post({ traceparent: `00-${traceId}-00f067aa0ba902b7-00` });
    const [, answeredTrace, answeredSpan, flags] = res.headers.get('traceparent')!.split('-');
    expect(answeredTrace).toBe(traceId);
    expect(answeredSpan).not.toBe('00f067aa0ba902b7');
    expect(flags).toBe('00');
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('still records a sampled caller’s request', async () => {
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await post({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});

describe('unsampledRequest', () => {
  const keel = { followsParent: true, rootUnsampled: true };
  it('leaves to the SDK what it does not decide alone', () => {
    // A sampler that ignores the parent, a sampled or malformed or all-zero parent.
    expect(unsampledRequest(undefined, { followsParent: false, rootUnsampled: true })).toBe(
      undefined,
    );
    expect(unsampledRequest(undefined, { followsParent: true, rootUnsampled: false })).toBe(
      undefined,
    );
    expect(unsampledRequest(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, keel)).toBe(undefined);
    expect(unsampledRequest('00-xyz', keel)).toBe(undefined);
    expect(unsampledRequest(`00-${'0'.repeat(32)}-${'b'.repeat(16)}-00`, keel)).toBe(undefined);
    expect(unsampledRequest(`00-${'a'.repeat(32)}-${'0'.repeat(16)}-00`, keel)).toBe(undefined);
    expect(unsampledRequest(['a', 'b'], keel)).toBe(undefined);
  });

  it('keeps an unsampled caller’s trace id and flags other than sampled', () => {
    const ids = unsampledRequest(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-02`, keel)!;
    expect(ids.traceId).toBe('a'.repeat(32));
    expect(ids.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ids.traceFlags).toBe(2);
  });

  it('draws distinct random ids', () => {
    const ids = Array.from({ length: 200 }, () => unsampledRequest(undefined, keel)!.traceId);
    expect(new Set(ids).size).toBe(200);
  });
});
