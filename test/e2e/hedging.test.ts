import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER } from '../../shared/policy/breaker';
import { DEFAULT_HEALTH_OPTIONS } from '../../shared/platform/provider-health';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { MOCK_UPSTREAM_CONFIG, startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * Hedged calls end to end: the real worker and API, the OpenAI SDK against the mock upstream.
 * The demo tenant's policy turns hedging on for classify-ticket (the mock's models cost $8 per M
 * output tokens, expensive by default, so it says `expensiveModels` too); the `frugal` tenant
 * turns it on without that, so its expensive models are never hedged.
 *
 * The `slow` scenario's latency is seeded: its first five calls take 19–120 ms (they give
 * openai:slow a p95 of about 150 ms), the sixth 5.3 s, the seventh 2.2 s, the eighth 0.5 s.
 */
const TASK = 'classify-ticket';
const SEED = 3125;
const FRUGAL_KEY = 'frugal-test-key-not-real';

let mock: MockUpstream;
let stack: Stack;
let dir: string;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, seed: SEED, slow: { medianMs: 300, p99Ms: 6_000 } });
  dir = mkdtempSync(path.join(os.tmpdir(), 'keel-hedge-'));
  const config = JSON.parse(readFileSync(MOCK_UPSTREAM_CONFIG, 'utf8')) as Record<string, unknown>;
  const file = path.join(dir, 'keel.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...config,
      tenants: [
        {
          id: 'frugal',
          keys: [
            {
              name: 'frugal-app',
              sha256: createHash('sha256').update(FRUGAL_KEY).digest('hex'),
              roles: ['caller'],
            },
          ],
        },
      ],
      policies: {
        tenants: {
          demo: { tasks: { [TASK]: { hedge: { enabled: true, expensiveModels: true } } } },
          frugal: { hedge: { enabled: true } },
        },
      },
    }),
  );
  stack = await startStack(upstreamEnv(mock.url, file));
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function classify(
  route: string[],
  n: number,
  key?: string,
): Promise<{
  jobId: string;
  meta: Record<string, any>;
  steps?: Array<{ name: string; detail?: string }>;
}> {
  const res = await stack.call(`/v1/tasks/${TASK}`, {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: 'Refund', body: `I was charged twice for my subscription (#${n})` },
      options: { route, allowDegraded: false },
    }),
    ...(key ? { auth: false, headers: { authorization: `Bearer ${key}` } } : {}),
  });
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('hedged calls against the mock upstream', () => {
  it('without latency data nothing is hedged; with it, a slow call is hedged and the fast one wins', async () => {
    // Five fast calls: openai:slow now has the samples a hedge delay needs.
    for (let n = 0; n < DEFAULT_BREAKER.minRequests; n++) {
      const body = await classify(['openai:slow', 'openai:ok'], n);
      expect(body.meta).toMatchObject({ model: 'slow', path: 'primary', attempts: 1 });
      expect(body.meta.reasons).toEqual([]);
    }
    expect(mock.attempts().map((a) => a.model)).toEqual(Array(5).fill('slow'));
    await waitFor(
      'five outcomes of openai:slow in /v1/providers',
      async () => {
        const res = await stack.call('/v1/providers');
        const { providers } = (await res.json()) as {
          providers: Array<{ provider: string; model: string; stats: { requests: number } }>;
        };
        const slow = providers.find((p) => p.provider === 'openai' && p.model === 'slow');
        return (slow?.stats.requests ?? 0) >= DEFAULT_BREAKER.minRequests;
      },
      { timeoutMs: 20_000 },
    );
    // The worker reuses a health read for viewCacheMs: the next admission sees the new stats.
    await new Promise((r) => setTimeout(r, DEFAULT_HEALTH_OPTIONS.viewCacheMs + 100));
    mock.clearAttempts();

    // The sixth slow call would take 5.3 s: past its p95 the ok candidate starts and answers.
    const body = await classify(['openai:slow', 'openai:ok'], 5);
    expect(body.meta).toMatchObject({ provider: 'openai', model: 'ok', path: 'fallback' });
    // Both calls are counted: the winner's and the cancelled one's attempt.
    expect(body.meta.attempts).toBe(2);
    expect(body.meta.reasons).toEqual([
      expect.stringMatching(
        /^hedged: started openai:ok after \d+ ms without an answer from openai:slow; openai:ok won, openai:slow cancelled$/,
      ),
    ]);
    const hedgeMs = Number(/after (\d+) ms/.exec(body.meta.reasons[0])![1]);
    expect(hedgeMs).toBeGreaterThan(0);
    expect(hedgeMs).toBeLessThan(1_000);
    const job = (await (await stack.call(`/v1/jobs/${body.jobId}`)).json()) as typeof body;
    expect(job.steps!.map((s) => s.detail)).toContain(
      'openai:slow cancelled: openai:ok answered first (hedge)',
    );
    // The mock saw both: the ok call answered, the slow one was hung up on, never answered.
    await waitFor(
      'the slow call hung up',
      () =>
        Promise.resolve(mock.attempts().some((a) => a.model === 'slow' && a.closedBy === 'client')),
      { timeoutMs: 10_000 },
    );
    const attempts = mock.attempts();
    expect(attempts.map((a) => a.model).sort()).toEqual(['ok', 'slow']);
    expect(attempts.find((a) => a.model === 'ok')).toMatchObject({ status: 200 });
  });

  it('a tenant whose policy does not allow expensive models is never hedged', async () => {
    mock.clearAttempts();
    // The seventh slow call takes 2.2 s, well past the p95 (if it outlasts its timeout too,
    // the retry, the eighth, answers in 0.5 s): openai:ok is never called.
    const body = await classify(['openai:slow', 'openai:ok'], 6, FRUGAL_KEY);
    expect(body.meta).toMatchObject({ model: 'slow', path: 'primary' });
    expect(body.meta.reasons.filter((r: string) => r.startsWith('hedged'))).toEqual([]);
    expect(mock.attempts().length).toBeGreaterThan(0);
    expect(mock.attempts().every((a) => a.model === 'slow')).toBe(true);
  });
});
