import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * Keel's own share of a response (`x-keel-overhead-ms`) and the opt-in result cache, over HTTP
 * against the upstream on loopback. The upstream answers after a fixed 80 ms, so provider time
 * and Keel time can be told apart; its attempt log shows which requests reached it.
 */
const UPSTREAM_MS = 80;
let mock: MockUpstream;
let stack: Stack;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, latencyMs: UPSTREAM_MS });
  stack = await startStack(upstreamEnv(mock.url));
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});
beforeEach(() => mock.clearAttempts());

const post = async (input: unknown, options: Record<string, unknown> = {}) => {
  const started = performance.now();
  const res = await stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({ input, options: { route: ['openai:ok'], ...options } }),
  });
  const body = (await res.json()) as any;
  return { res, body, clientMs: performance.now() - started };
};
const ticket = (n: number) => ({ subject: 'Refund', body: `I was charged twice (order ${n})` });

describe('x-keel-overhead-ms', () => {
  it('is the response time minus the time spent waiting on the provider', async () => {
    const { res, body, clientMs } = await post(ticket(1));
    expect(res.status).toBe(200);
    expect(body.meta.providerMs).toBeGreaterThanOrEqual(UPSTREAM_MS);
    const overhead = Number(res.headers.get('x-keel-overhead-ms'));
    expect(overhead).toBeGreaterThan(0);
    // What the client saw covers both Keel's time and the provider's.
    expect(overhead + body.meta.providerMs).toBeLessThanOrEqual(clientMs + 1);
    expect(res.headers.get('server-timing')).toMatch(
      new RegExp(`^provider;dur=${body.meta.providerMs}(\\.0)?, keel;dur=[0-9.]+$`),
    );
  });
});

describe('options.cacheTtlMs', () => {
  it('answers an identical request from the cache: no workflow, no model call', async () => {
    const first = await post(ticket(2), { cacheTtlMs: 60_000 });
    expect(first.body.meta.path).toBe('primary');
    const second = await post(ticket(2), { cacheTtlMs: 60_000 });
    expect(second.res.status).toBe(200);
    expect(second.body.output).toEqual(first.body.output);
    expect(second.body.jobId).toBe(first.body.jobId);
    expect(second.body.meta).toMatchObject({
      path: 'cache',
      attempts: 0,
      costUsd: 0,
      providerMs: 0,
      cache: { jobId: first.body.jobId },
    });
    expect(second.body.meta.cache.ageMs).toBeGreaterThanOrEqual(0);
    expect(mock.attempts()).toHaveLength(1);
  });

  it('misses on another input, another route, an expired age, and without the option', async () => {
    await post(ticket(3), { cacheTtlMs: 60_000 });
    expect((await post(ticket(4), { cacheTtlMs: 60_000 })).body.meta.path).toBe('primary');
    expect(
      (await post(ticket(3), { cacheTtlMs: 60_000, route: ['anthropic:ok'] })).body.meta.path,
    ).toBe('primary');
    expect((await post(ticket(3))).body.meta.path).toBe('primary');
    await new Promise((r) => setTimeout(r, 20));
    expect((await post(ticket(3), { cacheTtlMs: 10 })).body.meta.path).toBe('primary');
    expect(mock.attempts()).toHaveLength(5);
  });

  it('never serves a task that must be reviewed', async () => {
    await post(ticket(5), { cacheTtlMs: 60_000 });
    const reviewed = await post(ticket(5), { cacheTtlMs: 60_000, review: 'always' });
    expect(reviewed.res.status).toBe(202);
    expect(reviewed.body.status).toBe('awaiting_review');
  });

  it.each([0, 86_400_001, 1.5, '60s'])(
    'refuses cacheTtlMs %s with the field named',
    async (ttl) => {
      const { res, body } = await post(ticket(6), { cacheTtlMs: ttl });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(body.errors.map((e: { field: string }) => e.field)).toContain('options.cacheTtlMs');
    },
  );
});
