import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResultMeta, RunTaskRequest, RunTaskResult } from '../../shared/contracts/job';
import type { KeelConfig } from '../../shared/platform/config';
import type { Logger } from '../../shared/platform/logger';
import { findTask, type AnyTaskDefinition } from '../../shared/tasks';
import { MAX_CACHE_TTL_MS, MAX_CACHED_RESULT_BYTES } from '../../server/result-cache';
import { TaskCache } from '../../server/task-cache';
import { startRedis, type RedisServer } from '../support/redis';

/**
 * The result cache (`options.cacheTtlMs`) as the API uses it (`TaskCache`), in process memory and
 * in a real redis-server: one suite, the same rules. The Redis cases at the end show what only
 * Redis does: two replicas share entries, keys are digests, entries expire by PX, and Redis
 * failing is a miss.
 */

let redis: RedisServer;
let inspect: Redis;
const open: TaskCache[] = [];
const warnings: { obj: unknown; msg: string }[] = [];

beforeAll(async () => {
  redis = await startRedis();
  inspect = new Redis(redis.url);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.onModuleDestroy()));
  await inspect.flushall();
  warnings.length = 0;
});
afterAll(async () => {
  inspect?.disconnect();
  await redis?.stop();
});

const logger = {
  warn: (obj: unknown, msg: string) => warnings.push({ obj, msg }),
} as unknown as Logger;

async function taskCache(redisUrl?: string): Promise<TaskCache> {
  const config = { cacheMaxEntries: 100, ...(redisUrl ? { redisUrl } : {}) } as KeelConfig;
  const cache = new TaskCache(config, logger);
  open.push(cache);
  await cache.onModuleInit();
  return cache;
}

const classifyTicket = findTask('classify-ticket')!;

const backends = [
  { name: 'memory', make: () => taskCache() },
  { name: 'redis', make: () => taskCache(redis.url) },
] as const;

const withVersion = (version: string): AnyTaskDefinition => ({
  ...classifyTicket,
  prompt: { ...classifyTicket.prompt, version },
});

const SUBJECT = 'Refund for Jane Roe';
function request(opts: { tenantId?: string; n?: number; ttlMs?: number; route?: string[] } = {}) {
  return {
    task: classifyTicket.name,
    tenantId: opts.tenantId ?? 'tenant-a',
    requestId: randomUUID(),
    input: { subject: SUBJECT, body: `I was charged twice (order ${opts.n ?? 1})` },
    options: { cacheTtlMs: opts.ttlMs ?? 60_000, route: opts.route ?? ['openai:ok'] },
  } satisfies RunTaskRequest;
}

function result(path: ResultMeta['path'] = 'primary', output: unknown = { category: 'billing' }) {
  const meta = {
    provider: 'openai',
    model: 'ok',
    promptVersion: classifyTicket.prompt.version,
    attempts: 1,
    path,
    reasons: [],
    latencyMs: 120,
    providerMs: 80,
    tokens: { input: 50, output: 10, cachedInput: 0, estimatedInput: 55 },
    costUsd: 0.00018,
  } as unknown as ResultMeta;
  return { output, meta } satisfies RunTaskResult;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(backends)('result cache in $name', ({ make }) => {
  it("answers an identical request with the earlier job's answer, nothing billed", async () => {
    const cache = await make();
    const slot = cache.slotFor(classifyTicket, request())!;
    expect(await cache.lookup(slot)).toBeUndefined();
    await cache.store(slot, 'job-1', result());

    const hit = await cache.lookup(cache.slotFor(classifyTicket, request())!);
    expect(hit?.jobId).toBe('job-1');
    expect(hit?.result.output).toEqual({ category: 'billing' });
    expect(hit?.result.meta).toMatchObject({
      path: 'cache',
      attempts: 0,
      costUsd: 0,
      providerMs: 0,
      promptVersion: 'classify-ticket@1',
      tokens: { input: 0, output: 0, estimatedInput: 55 },
      cache: { jobId: 'job-1' },
    });
    expect(hit?.result.meta.cache?.ageMs).toBeGreaterThanOrEqual(0);
  });

  it("serves an entry only while its age is within the reader's cacheTtlMs", async () => {
    const cache = await make();
    await cache.store(cache.slotFor(classifyTicket, request())!, 'job-1', result());
    await sleep(40);
    expect(await cache.lookup(cache.slotFor(classifyTicket, request({ ttlMs: 10 }))!)).toBe(
      undefined,
    );
    const hit = await cache.lookup(cache.slotFor(classifyTicket, request({ ttlMs: 60_000 }))!);
    expect(hit?.result.meta.cache?.ageMs).toBeGreaterThanOrEqual(30);
  });

  it('misses for another tenant, input, route, and after a prompt version change', async () => {
    const cache = await make();
    await cache.store(cache.slotFor(classifyTicket, request())!, 'job-1', result());
    const miss = async (task: AnyTaskDefinition, req: RunTaskRequest) =>
      cache.lookup(cache.slotFor(task, req)!);
    expect(await miss(classifyTicket, request({ tenantId: 'tenant-b' }))).toBeUndefined();
    expect(await miss(classifyTicket, request({ n: 2 }))).toBeUndefined();
    expect(await miss(classifyTicket, request({ route: ['anthropic:ok'] }))).toBeUndefined();
    // The same task with its prompt bumped: no answer of the old prompt is served.
    expect(await miss(withVersion('classify-ticket@2'), request())).toBeUndefined();
    expect(await miss(classifyTicket, request())).toBeDefined();
  });

  it('keeps only validated answers, of at most MAX_CACHED_RESULT_BYTES as JSON', async () => {
    const cache = await make();
    const slot = (n: number) => cache.slotFor(classifyTicket, request({ n }))!;
    await cache.store(slot(1), 'degraded', result('degraded'));
    await cache.store(
      slot(2),
      'big',
      result('primary', { text: 'x'.repeat(MAX_CACHED_RESULT_BYTES) }),
    );
    await cache.store(slot(3), 'fallback', result('fallback', { text: 'x'.repeat(60_000) }));
    expect(await cache.lookup(slot(1))).toBeUndefined();
    expect(await cache.lookup(slot(2))).toBeUndefined();
    expect((await cache.lookup(slot(3)))?.jobId).toBe('fallback');
  });

  it('never serves a request that must be reviewed', async () => {
    const cache = await make();
    const reviewed = { ...request(), options: { ...request().options, review: 'always' as const } };
    expect(cache.slotFor(classifyTicket, reviewed)).toBeUndefined();
  });
});

describe('result cache in Redis only', () => {
  it('is shared: an answer stored by one replica is served by another', async () => {
    const [a, b] = [await taskCache(redis.url), await taskCache(redis.url)];
    expect(a.backend).toBe('redis');
    await a.store(a.slotFor(classifyTicket, request())!, 'job-1', result());
    const hit = await b.lookup(b.slotFor(classifyTicket, request())!);
    expect(hit?.jobId).toBe('job-1');
    expect(hit?.result.meta.path).toBe('cache');
  });

  it('keys are digests that include the prompt version; values hold the answer alone; PX is a day', async () => {
    const cache = await taskCache(redis.url);
    await cache.store(cache.slotFor(classifyTicket, request())!, 'job-1', result());
    await cache.store(
      cache.slotFor(withVersion('classify-ticket@2'), request())!,
      'job-2',
      result(),
    );

    const keys = await inspect.keys('*');
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatch(/^keel:cache:[0-9a-f]{64}$/);
      const value = (await inspect.get(key))!;
      expect(value).not.toContain('Jane Roe');
      expect(value).not.toContain('charged twice');
      expect(Object.keys(JSON.parse(value)).sort()).toEqual(['jobId', 'meta', 'output']);
      const pttl = await inspect.pttl(key);
      expect(pttl).toBeGreaterThan(MAX_CACHE_TTL_MS - 10_000);
      expect(pttl).toBeLessThanOrEqual(MAX_CACHE_TTL_MS);
    }
    // Each prompt version has its own entry: the old one is never read again and expires.
    const byJob = await Promise.all(
      keys.map(async (k) => JSON.parse((await inspect.get(k))!).jobId),
    );
    expect(byJob.sort()).toEqual(['job-1', 'job-2']);
  });

  it('an entry Redis has expired is gone for every replica', async () => {
    const cache = await taskCache(redis.url);
    await cache.store(cache.slotFor(classifyTicket, request())!, 'job-1', result());
    const [key] = await inspect.keys('keel:cache:*');
    await inspect.pexpire(key!, 1);
    await sleep(20);
    expect(await cache.lookup(cache.slotFor(classifyTicket, request())!)).toBeUndefined();
  });

  it('Redis gone: lookups are misses, stores are skipped, one warning for the burst', async () => {
    const own = await startRedis();
    try {
      const cache = await taskCache(own.url);
      const slot = cache.slotFor(classifyTicket, request())!;
      await cache.store(slot, 'job-1', result());
      expect((await cache.lookup(slot))?.jobId).toBe('job-1');
      await own.stop();

      const lookups = await Promise.all(Array.from({ length: 20 }, () => cache.lookup(slot)));
      expect(lookups.every((hit) => hit === undefined)).toBe(true);
      await expect(cache.store(slot, 'job-2', result())).resolves.toBeUndefined();
      await sleep(200); // reconnection attempts fail meanwhile: still the same burst
      expect(await cache.lookup(slot)).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toMatch(/Redis failed; lookups are misses/);
    } finally {
      await own.stop();
    }
  });
});
