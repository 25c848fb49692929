import { context, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelProvider, ModelRequest } from '../../activities/models/providers/model-provider';
import { countingTracer } from '../support/counting-tracer';
import { tracedProvider } from '../../activities/models/providers/traced-provider';
import { fileActivityTrace } from '../../shared/platform/trace-fast';
import { asyncLocalStorage } from '@temporalio/activity';

/**
 * The provider call's GenAI span (activities/models/providers/traced-provider.ts) under Keel's
 * default sampler: a call in a sampled context is a `chat <model>` span with the GenAI
 * attributes and nothing of the messages; a call in an unsampled one makes no span at all when
 * the sampler follows its parent, and still answers.
 */
const { provider, exporter, asked, reset } = countingTracer();
beforeAll(() => provider.register());
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});
beforeEach(() => reset());

const fake: ModelProvider = {
  slug: 'openai',
  type: 'openai',
  generate: () =>
    Promise.resolve({
      text: '{"category":"billing"}',
      model: 'gpt-x-2026',
      usage: { inputTokens: 91, outputTokens: 44, cachedInputTokens: 0 },
      finishReason: 'stop',
    }),
  stream: async function* () {
    yield await Promise.resolve({ type: 'text', text: '{}' } as never);
  },
};
const request = {
  model: { id: 'gpt-x', name: 'gpt-x' },
  messages: [{ role: 'user', content: 'my secret ticket text' }],
  responseFormat: { type: 'json' },
  maxOutputTokens: 200,
  timeoutMs: 1_000,
  signal: new AbortController().signal,
} as unknown as ModelRequest;

const parent = (flags: TraceFlags): SpanContext => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: flags,
  isRemote: true,
});
const within = <T>(flags: TraceFlags, fn: () => Promise<T>): Promise<T> =>
  context.with(trace.setSpanContext(context.active(), parent(flags)), fn);

describe('the GenAI span of a provider call', () => {
  it('in a sampled context: `chat <model>` with the GenAI attributes, no message text', async () => {
    const answer = await within(TraceFlags.SAMPLED, () =>
      tracedProvider(fake, true).generate(request),
    );
    expect(answer.text).toBe('{"category":"billing"}');
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('chat gpt-x');
    expect(span!.parentSpanId).toBe(parent(TraceFlags.SAMPLED).spanId);
    expect(span!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-x',
      'gen_ai.response.model': 'gpt-x-2026',
      'gen_ai.usage.input_tokens': 91,
      'gen_ai.usage.output_tokens': 44,
    });
    expect(JSON.stringify(span!.attributes)).not.toContain('secret ticket');
  });

  it('in an unsampled context: no span asked for, the same answer', async () => {
    const traced = tracedProvider(fake, true);
    const answer = await within(TraceFlags.NONE, () => traced.generate(request));
    expect(answer.model).toBe('gpt-x-2026');
    const parts: unknown[] = [];
    await within(TraceFlags.NONE, async () => {
      for await (const part of traced.stream(request)) parts.push(part);
    });
    expect(parts).toHaveLength(1);
    expect(asked()).toBe(0);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('in an activity whose header was unsampled (no context entered): no span either', async () => {
    const activity = {};
    fileActivityTrace(activity, parent(TraceFlags.NONE));
    await asyncLocalStorage.run(activity as never, () =>
      tracedProvider(fake, true).generate(request),
    );
    expect(asked()).toBe(0);
  });

  it('with a sampler that ignores the parent: the span is asked for, as before', async () => {
    await within(TraceFlags.NONE, () => tracedProvider(fake, false).generate(request));
    expect(asked()).toBe(1);
  });
});
