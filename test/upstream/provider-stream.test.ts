/**
 * The provider interface's `stream` through the real SDKs against the mock upstream: the parts a
 * caller gets (text as it arrives, then one finish with usage), and the errors a broken stream
 * ends in, classified the way `callModel` classifies a failed `generate`. The local provider's
 * stream is in test/unit/local-provider-stream.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../activities/models/providers/anthropic-provider';
import { toCallFailure } from '../../activities/models/providers/classify-error';
import type {
  ModelProvider,
  ModelRequest,
  ModelStreamPart,
} from '../../activities/models/providers/model-provider';
import { createOpenAIProvider } from '../../activities/models/providers/openai-provider';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { classifyTicket } from '../../shared/tasks/classify-ticket';
import { rejection, ticketRequest, vendorRegistry } from './helpers';

let mock: MockUpstream;
let providers: Record<'openai' | 'anthropic', ModelProvider>;

const registry = vendorRegistry([
  'ok',
  'stream-cut',
  'stream-stall',
  'content-filter',
  'no-done',
  '503',
]);

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  providers = {
    openai: createOpenAIProvider({ name: 'openai', apiKey: 'test', baseURL: `${mock.url}/v1` }),
    anthropic: createAnthropicProvider({ name: 'anthropic', apiKey: 'test', baseURL: mock.url }),
  };
});
afterAll(() => mock?.close());
beforeEach(() => mock.clearAttempts());

const request = (provider: string, model: string, timeoutMs?: number): ModelRequest =>
  ticketRequest(registry, provider, model, timeoutMs !== undefined ? { timeoutMs } : {});

async function collect(parts: AsyncIterable<ModelStreamPart>): Promise<ModelStreamPart[]> {
  const all: ModelStreamPart[] = [];
  for await (const part of parts) all.push(part);
  return all;
}

const failureOf = async (provider: string, model: string, timeoutMs?: number) =>
  toCallFailure(
    await rejection(
      collect(providers[provider as 'openai'].stream(request(provider, model, timeoutMs))),
    ),
    { provider, model, maxRetryAfterMs: 10_000, now: Date.now() },
  );

describe.each(['openai', 'anthropic'] as const)('%s stream', (name) => {
  it('yields the answer as text deltas, then one finish with the usage the upstream billed', async () => {
    const parts = await collect(providers[name].stream(request(name, 'ok')));
    const deltas = parts.filter((p) => p.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    const text = deltas.map((p) => p.delta).join('');
    expect(classifyTicket.output.parse(JSON.parse(text)).category).toBe('BILLING');
    const finish = parts.at(-1);
    const attempt = mock.attempts()[0];
    expect(attempt).toMatchObject({ stream: true, status: 200 });
    expect(finish).toMatchObject({
      type: 'finish',
      finishReason: name === 'openai' ? 'stop' : 'tool',
      model: 'ok',
      usage: { inputTokens: attempt?.inputTokens, outputTokens: attempt?.outputTokens },
    });
    expect(parts.filter((p) => p.type === 'finish')).toHaveLength(1);
  });

  it('sends the same structured-output request as generate, with stream: true', async () => {
    await collect(providers[name].stream(request(name, 'ok')));
    await providers[name].generate(request(name, 'ok'));
    const [streamed, generated] = mock.attempts();
    expect(streamed?.stream).toBe(true);
    expect(generated?.stream).toBe(false);
    expect(streamed?.request).toEqual(generated?.request);
    expect(streamed?.scenario).toBe('ok');
  });

  it('a stream without its terminator ([DONE] / message_stop) still finishes with the answer', async () => {
    const parts = await collect(providers[name].stream(request(name, 'no-done')));
    const text = parts.flatMap((p) => (p.type === 'text-delta' ? [p.delta] : [])).join('');
    expect(JSON.parse(text)).toMatchObject({ category: 'BILLING' });
    expect(parts.at(-1)).toMatchObject({ type: 'finish' });
  });

  it('a stream cut half-way throws a retryable failure, never a finish', async () => {
    const failure = await failureOf(name, 'stream-cut');
    expect(failure.type).toBe('Connection');
    expect(failure.nonRetryable).toBe(false);
  });

  it('a stream that stalls past the deadline throws a retryable Timeout', async () => {
    const failure = await failureOf(name, 'stream-stall', 500);
    expect(failure.type).toBe('Timeout');
    expect(failure.nonRetryable).toBe(false);
  });

  it('a content-filtered stream throws a non-retryable ContentFilter', async () => {
    const failure = await failureOf(name, 'content-filter');
    expect(failure.type).toBe('ContentFilter');
    expect(failure.nonRetryable).toBe(true);
  });

  it('an HTTP error before the stream starts is classified like generate', async () => {
    const failure = await failureOf(name, '503');
    expect(failure.type).toBe('ServerError');
    expect(failure.message).toContain('HTTP 503');
  });
});
