import { describe, expect, it } from 'vitest';
import type { ResultMeta } from '../../shared/contracts/job';
import { ResultCache } from '../../server/result-cache';

const meta = (path: ResultMeta['path']) => ({ path }) as ResultMeta;
const key = (input: unknown) =>
  ResultCache.key({ tenantId: 't', task: 'classify-ticket', promptVersion: 'v1', input });

describe('ResultCache', () => {
  it('keys on every part of the request', () => {
    const base = { tenantId: 't', task: 'x', promptVersion: 'x@1', input: { a: 1 } };
    const k = ResultCache.key(base);
    expect(ResultCache.key({ ...base })).toBe(k);
    expect(ResultCache.key({ ...base, tenantId: 'u' })).not.toBe(k);
    expect(ResultCache.key({ ...base, promptVersion: 'x@2' })).not.toBe(k);
    expect(ResultCache.key({ ...base, input: { a: 2 } })).not.toBe(k);
    expect(ResultCache.key({ ...base, route: ['openai:ok'] })).not.toBe(k);
    expect(ResultCache.key({ ...base, allowDegraded: false })).not.toBe(k);
  });

  it('serves within the ttl and not after', () => {
    let now = 1_000;
    const cache = new ResultCache(10, () => now);
    cache.set(key(1), { jobId: 'j1', output: { ok: 1 }, meta: meta('primary') });
    now += 500;
    expect(cache.get(key(1), 500)).toMatchObject({ jobId: 'j1', output: { ok: 1 }, ageMs: 500 });
    expect(cache.get(key(1), 499)).toBeUndefined();
  });

  it('keeps only validated route answers', () => {
    const cache = new ResultCache(10);
    for (const path of ['degraded', 'review', 'cache'] as const)
      cache.set(key(path), { jobId: path, output: 1, meta: meta(path) });
    cache.set(key('fallback'), { jobId: 'f', output: 1, meta: meta('fallback') });
    expect(cache.size).toBe(1);
  });

  it('evicts the least recently used beyond its bound', () => {
    const cache = new ResultCache(2);
    cache.set(key(1), { jobId: '1', output: 1, meta: meta('primary') });
    cache.set(key(2), { jobId: '2', output: 2, meta: meta('primary') });
    expect(cache.get(key(1), 1e6)).toBeDefined(); // 1 is now the most recent
    cache.set(key(3), { jobId: '3', output: 3, meta: meta('primary') });
    expect(cache.size).toBe(2);
    expect(cache.get(key(2), 1e6)).toBeUndefined();
    expect(cache.get(key(1), 1e6)?.jobId).toBe('1');
    expect(cache.get(key(3), 1e6)?.jobId).toBe('3');
  });

  it('holds nothing when sized 0', () => {
    const cache = new ResultCache(0);
    cache.set(key(1), { jobId: '1', output: 1, meta: meta('primary') });
    expect(cache.size).toBe(0);
  });
});
