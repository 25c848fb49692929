import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startRedis, type RedisServer } from '../support/redis';
import { startReplicas, type ApiReplica, type ReplicaSet } from '../support/replicas';
import { upstreamEnv } from '../support/upstream-env';

/**
 * The result cache (`options.cacheTtlMs`) shared through Redis: two API processes and one worker
 * with KEEL_REDIS_URL. What one API answered, the other answers from the cache without a
 * workflow or a model call (the upstream's attempt log says which requests reached it). The
 * prompt-version rule is shown in test/stores/result-cache.test.ts (a prompt cannot change under
 * running processes).
 */

let redis: RedisServer;
let inspect: Redis;
let mock: MockUpstream;
let set: ReplicaSet;

beforeAll(async () => {
  [redis, mock] = await Promise.all([startRedis(), startMockUpstream({ port: 0 })]);
  inspect = new Redis(redis.url);
  set = await startReplicas(
    { KEEL_REDIS_URL: redis.url, ...upstreamEnv(mock.url) },
    { apis: 2, workers: 1 },
  );
}, 180_000);

afterAll(async () => {
  inspect?.disconnect();
  await set?.stop();
  await Promise.all([mock?.close(), redis?.stop()]);
});

beforeEach(() => mock.clearAttempts());

/** A ticket no earlier request sent, with a marker to look for in Redis. */
const ticket = () => {
  const marker = randomUUID();
  return { subject: 'Refund', body: `I was charged twice, reference ${marker}`, marker };
};

async function classify(
  api: ApiReplica,
  t: ReturnType<typeof ticket>,
  cacheTtlMs: number,
): Promise<{ status: number; body: any }> {
  const res = await api.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: t.subject, body: t.body },
      options: { route: ['openai:ok'], cacheTtlMs },
    }),
  });
  return { status: res.status, body: await res.json() };
}

describe('options.cacheTtlMs across 2 APIs sharing Redis', () => {
  it("answers on API 2 from API 1's answer: no workflow, no model call", async () => {
    const [api1, api2] = set.apis as [ApiReplica, ApiReplica];
    const t = ticket();
    const first = await classify(api1, t, 60_000);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.meta.path).toBe('primary');
    expect(mock.attempts()).toHaveLength(1);

    const second = await classify(api2, t, 60_000);
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.jobId).toBe(first.body.jobId);
    expect(second.body.output).toEqual(first.body.output);
    expect(second.body.meta).toMatchObject({
      path: 'cache',
      attempts: 0,
      costUsd: 0,
      providerMs: 0,
      promptVersion: first.body.meta.promptVersion,
      cache: { jobId: first.body.jobId },
    });
    expect(second.body.meta.cache.ageMs).toBeGreaterThanOrEqual(0);
    // And back on API 1: the same entry.
    expect((await classify(api1, t, 60_000)).body.meta.path).toBe('cache');
    expect(mock.attempts()).toHaveLength(1);
  });

  it("misses on the other API when the entry is older than that caller's cacheTtlMs", async () => {
    const [api1, api2] = set.apis as [ApiReplica, ApiReplica];
    const t = ticket();
    expect((await classify(api1, t, 60_000)).body.meta.path).toBe('primary');
    await new Promise((r) => setTimeout(r, 50));
    const late = await classify(api2, t, 10);
    expect(late.status).toBe(200);
    expect(late.body.meta.path).toBe('primary');
    expect(mock.attempts()).toHaveLength(2);
  });

  it('keeps entries in Redis under a digest, never the input', async () => {
    const t = ticket();
    const { body } = await classify(set.apis[0]!, t, 60_000);
    const keys = await inspect.keys('keel:cache:*');
    expect(keys.length).toBeGreaterThan(0);
    const values = await Promise.all(keys.map((k) => inspect.get(k)));
    const entry = values.find((v) => v?.includes(body.jobId));
    expect(entry).toBeDefined();
    for (const key of keys) expect(key).toMatch(/^keel:cache:[0-9a-f]{64}$/);
    for (const value of values) expect(value).not.toContain(t.marker);
  });
});
