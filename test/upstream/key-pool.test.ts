/**
 * Key pools through the real SDKs against the mock upstream: the mock's per-key quotas (its
 * rate-limit headers count down, then a 429), and both providers spreading calls over their keys,
 * leaving a key alone once its vendor says it is out. The attempt log names each key by a short
 * hash, never the key.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../activities/models/providers/anthropic-provider';
import type { ModelRequest } from '../../activities/models/providers/model-provider';
import { createOpenAIProvider } from '../../activities/models/providers/openai-provider';
import { renderTaskRequest } from '../../activities/models/render-request';
import { parseFileConfig } from '../../shared/platform/config-file';
import { findModel } from '../../shared/platform/model-registry';
import { classifyTicket } from '../../shared/tasks/classify-ticket';
import { keyHash } from '../mock-upstream/key-quota';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { rejection, TICKET } from './helpers';

const KEYS = {
  spent: 'sk-pool-spent-after-two',
  closed: 'sk-pool-no-requests-left',
  free: 'sk-pool-free',
  other: 'sk-pool-other',
  twoOpenai: 'sk-pool-two-requests-openai',
  twoAnthropic: 'sk-pool-two-requests-anthropic',
};

let mock: MockUpstream;

const registry = parseFileConfig(
  {
    providers: [
      { name: 'openai', type: 'openai' },
      { name: 'anthropic', type: 'anthropic' },
    ],
    models: [
      { provider: 'openai', name: 'ok', price: { input: 1, output: 1 } },
      { provider: 'anthropic', name: 'ok', price: { input: 1, output: 1 } },
    ],
  },
  'test',
);

function request(provider: string): ModelRequest {
  return {
    ...renderTaskRequest({ task: classifyTicket, input: TICKET }),
    model: findModel(registry, provider, 'ok')!,
    maxOutputTokens: 512,
    timeoutMs: 5_000,
    signal: new AbortController().signal,
  };
}

/** Which key (by name) each attempt carried. */
const keysUsed = (): string[] => {
  const byHash = new Map(Object.entries(KEYS).map(([name, key]) => [keyHash(key), name]));
  return mock.attempts().map((a) => byHash.get(a.keyHash ?? '') ?? `? ${a.keyHash}`);
};

beforeAll(async () => {
  mock = await startMockUpstream({
    port: 0,
    keyQuotas: {
      [KEYS.spent]: { requests: 2, windowMs: 60_000 },
      [KEYS.closed]: { requests: 0, windowMs: 60_000 },
      [KEYS.twoOpenai]: { requests: 2, windowMs: 60_000 },
      [KEYS.twoAnthropic]: { requests: 2, windowMs: 60_000 },
    },
  });
});
afterAll(() => mock?.close());
beforeEach(() => mock.clearAttempts());

describe('the mock upstream’s key quotas', () => {
  it('counts a key’s requests down in its headers, then answers 429 with Retry-After', async () => {
    const call = () =>
      fetch(`${mock.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.spent}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'ok', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const answers = [await call(), await call(), await call()];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(answers.map((r) => r.headers.get('x-ratelimit-remaining-requests'))).toEqual([
      '1',
      '0',
      '0',
    ]);
    expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(mock.attempts().map((a) => a.scenario)).toEqual(['ok', 'ok', 'key-quota']);
    // The log names the key by a short hash only.
    expect(mock.attempts()[0]!.keyHash).toBe(keyHash(KEYS.spent));
    expect(JSON.stringify(mock.attempts())).not.toContain(KEYS.spent);
  });
});

describe.each(['openai', 'anthropic'] as const)('a %s key pool', (vendor) => {
  const provider = (keys: string[]) =>
    vendor === 'openai'
      ? createOpenAIProvider({ name: 'openai', apiKeys: keys, baseURL: `${mock.url}/v1` })
      : createAnthropicProvider({ name: 'anthropic', apiKeys: keys, baseURL: mock.url });

  it('spreads calls over its keys', async () => {
    const p = provider([KEYS.free, KEYS.other]);
    for (let i = 0; i < 4; i++) await p.generate(request(vendor));
    expect(keysUsed()).toEqual(['free', 'other', 'free', 'other']);
  });

  it('leaves a key alone once an answer says it has no requests left: no 429 at all', async () => {
    const two = vendor === 'openai' ? KEYS.twoOpenai : KEYS.twoAnthropic;
    const name = vendor === 'openai' ? 'twoOpenai' : 'twoAnthropic';
    const p = provider([two, KEYS.free]);
    for (let i = 0; i < 6; i++) await p.generate(request(vendor));
    expect(keysUsed()).toEqual([name, 'free', name, 'free', 'free', 'free']);
    expect(mock.attempts().map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('moves a request that got a 429 to the next key, and skips the limited key after', async () => {
    const p = provider([KEYS.closed, KEYS.free]);
    for (let i = 0; i < 4; i++) {
      const answer = await p.generate(request(vendor));
      expect(answer.output ?? answer.text).toBeTruthy();
    }
    expect(keysUsed()).toEqual(['closed', 'free', 'free', 'free', 'free']);
    expect(mock.attempts()[0]!.status).toBe(429);
  });

  it('a lone key that is out still gets the call, and its 429 reaches the caller', async () => {
    const p = provider([KEYS.closed]);
    expect(await rejection(p.generate(request(vendor)))).toMatchObject({ status: 429 });
    expect(keysUsed()).toEqual(['closed']);
  });
});
