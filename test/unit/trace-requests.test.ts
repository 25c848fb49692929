import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBody } from '../../server/http-middleware';
import { traceRequests } from '../../server/trace-requests';
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

let baseUrl: string;
let server: ReturnType<express.Express['listen']>;
beforeAll(async () => {
  provider.register();
  const app = express();
  const tracing = traceRequests();
  app.use(tracing.open);
  app.use(jsonBody(1024));
  app.use(tracing.enter);
  app.post('/v1/tasks/:task', async (req, res) => {
    await new Promise((r) => setTimeout(r, 5));
    logger.info({ task: req.params.task }, 'handled');
    res.json({ ok: true });
  });
  app.get('/healthz', (_req, res) => {
    logger.info('health');
    res.send('ok');
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.close();
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
