import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../activities/models/providers/anthropic-provider';
import { toCallFailure } from '../../activities/models/providers/classify-error';
import type { ModelProvider, ModelRequest } from '../../activities/models/providers/model-provider';
import { createOpenAIProvider } from '../../activities/models/providers/openai-provider';
import { deadlineSignal } from '../../activities/models/providers/request-options';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { rejection, ticketRequest, vendorRegistry } from './helpers';

/**
 * A call's deadline holds through garbage collections. Built from `AbortSignal.any` and
 * `AbortSignal.timeout`, it did not: Node holds those signals weakly, a collection during the call
 * dropped the timeout, and a stream that stalled was never cut (CI saw it once as a 30 s hang of
 * `provider-stream.test.ts`; with a collection every few ms it hung every time). Here collections
 * are forced every 5 ms while the upstream stalls: each call must still end, as a Timeout.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let mock: MockUpstream;
let providers: Record<'openai' | 'anthropic', ModelProvider>;
let collecting: NodeJS.Timeout;

const registry = vendorRegistry(['stream-stall']);

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  providers = {
    openai: createOpenAIProvider({ name: 'openai', apiKey: 'test', baseURL: `${mock.url}/v1` }),
    anthropic: createAnthropicProvider({ name: 'anthropic', apiKey: 'test', baseURL: mock.url }),
  };
  collecting = setInterval(gc, 5);
});
afterAll(async () => {
  clearInterval(collecting);
  await mock?.close();
});

const stalling = (provider: 'openai' | 'anthropic'): ModelRequest =>
  ticketRequest(registry, provider, 'stream-stall', { timeoutMs: 300, maxOutputTokens: 128 });

describe.each(['openai', 'anthropic'] as const)('%s stream under garbage collection', (name) => {
  it('a stream that stalls is still cut at its deadline, as a retryable Timeout', async () => {
    for (let i = 0; i < 3; i++) {
      const err = await rejection(
        (async () => {
          for await (const part of providers[name].stream(stalling(name))) void part;
        })(),
      );
      const failure = toCallFailure(err, {
        provider: name,
        model: 'stream-stall',
        maxRetryAfterMs: 10_000,
        now: Date.now(),
      });
      expect(failure.type).toBe('Timeout');
      expect(failure.nonRetryable).toBe(false);
    }
  }, 15_000);
});

describe('deadlineSignal', () => {
  it('fires after its time with nothing but a listener holding it, and says it timed out', async () => {
    const reason = await new Promise<unknown>((resolve) => {
      const { signal } = deadlineSignal(50, []);
      signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
    });
    expect((reason as DOMException).name).toBe('TimeoutError');
  });

  it("follows its sources: a source's abort ends it with that reason, not as a timeout", () => {
    const source = new AbortController();
    const call = deadlineSignal(60_000, [source.signal]);
    source.abort(new Error('cancelled'));
    expect(call.signal.aborted).toBe(true);
    expect((call.signal.reason as Error).message).toBe('cancelled');
    expect(call.timedOut()).toBe(false);
    call.clear();
  });

  it('a source aborted already ends it at once; clear() stops the timer', async () => {
    const done = new AbortController();
    done.abort('gone');
    expect(deadlineSignal(60_000, [done.signal]).signal.reason).toBe('gone');
    const cleared = deadlineSignal(20, []);
    cleared.clear();
    await new Promise((r) => setTimeout(r, 60));
    expect(cleared.signal.aborted).toBe(false);
    expect(cleared.timedOut()).toBe(false);
  });
});
