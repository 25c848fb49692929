import Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMarkers, type MarkerStore } from '../../server/single-flight/markers';
import { RedisMarkers } from '../../server/single-flight/redis-markers';
import { startRedis, type RedisServer } from '../support/redis';

/**
 * The markers behind single-flight and debounce, in process memory and in a real redis-server:
 * one suite, the same semantics; then what only Redis does (two processes' stores agree, the
 * replaced value reaches the other store's listeners, markers expire by PX, Redis gone fails).
 */
let redis: RedisServer;
let inspect: Redis;
const open: MarkerStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
  inspect = new Redis(redis.url);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await inspect.flushall();
});
afterAll(async () => {
  inspect?.disconnect();
  await redis?.stop();
});

async function redisMarkers(): Promise<RedisMarkers> {
  const store = new RedisMarkers({ redisUrl: redis.url });
  open.push(store);
  expect(await store.ready(5_000)).toBe(true);
  return store;
}

const backends: [string, () => Promise<MarkerStore>][] = [
  ['memory', () => Promise.resolve(new MemoryMarkers())],
  ['redis', redisMarkers],
];

describe.each(backends)('%s markers', (_name, make) => {
  it('claim: the first value stands until dropped by its owner', async () => {
    const m = await make();
    expect(await m.claim('flight:k', 'job-a', 60_000)).toBe('job-a');
    expect(await m.claim('flight:k', 'job-b', 60_000)).toBe('job-a');
    await m.drop('flight:k', 'job-b');
    expect(await m.get('flight:k')).toBe('job-a');
    await m.drop('flight:k', 'job-a');
    expect(await m.claim('flight:k', 'job-c', 60_000)).toBe('job-c');
  });

  it('replace: returns the value replaced and tells the listeners', async () => {
    const m = await make();
    const heard: string[] = [];
    m.onReplaced((v) => heard.push(v));
    expect(await m.replace('debounce:k', 't1', 60_000)).toBeUndefined();
    expect(await m.replace('debounce:k', 't2', 60_000)).toBe('t1');
    await expect.poll(() => heard).toEqual(['t1']);
    expect(await m.get('debounce:k')).toBe('t2');
  });
});

describe('redis markers only', () => {
  it('two processes’ stores agree, and one hears what the other replaced', async () => {
    const [a, b] = [await redisMarkers(), await redisMarkers()];
    expect(await a.claim('flight:x', 'job-1', 60_000)).toBe('job-1');
    expect(await b.claim('flight:x', 'job-2', 60_000)).toBe('job-1');
    const heardByA: string[] = [];
    a.onReplaced((v) => heardByA.push(v));
    await a.replace('debounce:x', 'from-a', 60_000);
    expect(await b.replace('debounce:x', 'from-b', 60_000)).toBe('from-a');
    await expect.poll(() => heardByA).toEqual(['from-a']);
  });

  it('keeps digests under its prefix with a PX deadline', async () => {
    const m = await redisMarkers();
    await m.claim('flight:abc', 'job-1', 5_000);
    const pttl = await inspect.pttl('keel:markers:flight:abc');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);
  });

  it('with Redis gone, operations fail (callers then run unshared)', async () => {
    const m = new RedisMarkers({ redisUrl: 'redis://127.0.0.1:1' });
    open.push(m);
    await expect(m.claim('flight:k', 'job', 1_000)).rejects.toThrow();
  });
});
