import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { withoutMessages } from '../../shared/platform/tracing';

/**
 * What leaves the process when an activity fails: the Temporal interceptors set the error's
 * message as the span status and record the exception (message, stack). Tracing's processor
 * keeps the error's type and drops the rest (shared/platform/tracing.ts, docs/traces.md).
 */
describe('spans are exported without error messages', () => {
  it('keeps the status code and the exception type, not the message or the stack', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [withoutMessages(new SimpleSpanProcessor(exporter))],
    });
    const span = provider.getTracer('test').startSpan('RunActivity:validateOutput');
    span.setAttribute('temporalActivityId', '3');
    const err = new TypeError('the customer wrote: my card is 4111 1111 1111 1111');
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    span.recordException(err);
    span.end();

    const [out] = exporter.getFinishedSpans();
    expect(out!.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(out!.events).toEqual([
      { name: 'exception', time: expect.any(Array), attributes: { 'exception.type': 'TypeError' } },
    ]);
    expect(out!.attributes).toEqual({ temporalActivityId: '3' });
    expect(out!.spanContext()).toEqual(span.spanContext());
    // The card number as written (digits alone also turn up in the span's random ids and times).
    expect(JSON.stringify({ ...out, events: out!.events })).not.toContain('4111 1111');
    expect(JSON.stringify({ ...out, events: out!.events })).not.toContain('customer wrote');
  });

  it('passes a span without messages through as it is', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [withoutMessages(new SimpleSpanProcessor(exporter))],
    });
    const span = provider.getTracer('test').startSpan('chat ok');
    span.end();
    expect(exporter.getFinishedSpans()[0]).toBe(span);
  });
});
