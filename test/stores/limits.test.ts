import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createLimiter,
  rateLimitHeaders,
  type AdmitVerdict,
  type LimitScope,
  type LimitSpec,
  type Limiter,
  type LimiterOptions,
} from '../../shared/tenancy/limits';
import { startRedis, type RedisServer } from '../support/redis';

/**
 * The limits against a real redis-server and in memory: one suite, the same semantics. Most
 * cases pass `now` (a fixed clock) so windows and Retry-After are exact numbers; the ones marked
 * "real time" use a short window and Redis's own clock.
 */

let redis: RedisServer | undefined;
const open: Limiter[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});
afterAll(async () => {
  await redis?.stop();
});

const T0 = 1_700_000_000_000;
const S = 1_000;
const tenant = (spec: LimitSpec, id = randomUUID()): LimitScope => ({ kind: 'tenant', id, spec });
const key = (spec: LimitSpec, id = randomUUID()): LimitScope => ({ kind: 'key', id, spec });
const lease = (): string => `job-${randomUUID()}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function refused(v: AdmitVerdict): Extract<AdmitVerdict, { ok: false }> {
  if (v.ok) throw new Error('expected a refusal, got an admission');
  return v;
}

interface Store {
  name: 'memory' | 'redis';
  /** A limiter; for Redis, `prefix` shares the keys between instances ("replicas"). */
  make(opts?: LimiterOptions): Limiter;
  /** A second limiter on the same counts (another replica), or the same one in memory. */
  replica(first: Limiter, opts?: LimiterOptions): Limiter;
}

const stores: Store[] = [
  {
    name: 'memory',
    make: (opts) => track(createLimiter({ ...opts })),
    replica: (first) => first,
  },
  {
    name: 'redis',
    make: (opts) => track(createLimiter({ redisUrl: redis!.url, ...opts })),
    replica: (_first, opts) => track(createLimiter({ redisUrl: redis!.url, ...opts })),
  },
];

function track(l: Limiter): Limiter {
  open.push(l);
  return l;
}

describe.each(stores)('limits in $name', (store) => {
  it('admits exactly requestsPerMinute in any 60 s window (sliding, not fixed)', async () => {
    const l = store.make();
    const scopes = [tenant({ requestsPerMinute: 3 })];
    const admit = (at: number): Promise<AdmitVerdict> =>
      l.admit({ scopes, tokens: 0, leaseId: lease(), leaseMs: 120 * S, now: at });

    for (const at of [T0, T0 + 10 * S, T0 + 20 * S]) expect((await admit(at)).ok).toBe(true);
    const r = refused(await admit(T0 + 30 * S));
    expect(r).toMatchObject({ scope: 'tenant', limit: 'requests', retryAfterS: 30 });
    expect((await admit(T0 + 60 * S - 1)).ok).toBe(false);
    // The first admission leaves the window at T0 + 60 s: one more, not a fresh window of three.
    expect((await admit(T0 + 60 * S)).ok).toBe(true);
    expect(refused(await admit(T0 + 60 * S + 1)).retryAfterS).toBe(10);
    expect(await l.state(scopes[0]!, { now: T0 + 60 * S + 1 })).toMatchObject({ requests: 3 });
  });

  it('two replicas hammering one scope admit exactly the limit', async () => {
    const prefix = `t-${randomUUID()}`;
    const a = store.make({ prefix });
    const b = store.replica(a, { prefix });
    const scopes = [tenant({ requestsPerMinute: 25, concurrentTasks: 1_000 })];
    const verdicts = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        (i % 2 ? a : b).admit({ scopes, tokens: 0, leaseId: lease(), leaseMs: 60 * S }),
      ),
    );
    expect(verdicts.filter((v) => v.ok)).toHaveLength(25);
    expect(verdicts.filter((v) => !v.ok).every((v) => !v.ok && v.limit === 'requests')).toBe(true);
    expect(await b.state(scopes[0]!)).toMatchObject({ requests: 25, concurrent: 25 });
  });

  it('real time: under contention from two replicas no window holds more than the limit', async () => {
    const prefix = `t-${randomUUID()}`;
    const windowMs = 2_000;
    const limit = 10;
    const a = store.make({ prefix, windowMs });
    const b = store.replica(a, { prefix, windowMs });
    const scopes = [tenant({ requestsPerMinute: limit })];
    const admittedAt: number[] = [];
    const deadline = Date.now() + 2.5 * windowMs;
    await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        while (Date.now() < deadline) {
          const v = await (i % 2 ? a : b).admit({
            scopes,
            tokens: 0,
            leaseId: lease(),
            leaseMs: S,
          });
          if (v.ok) admittedAt.push(v.at);
          else await sleep(5);
        }
      }),
    );
    admittedAt.sort((x, y) => x - y);
    const busiest = Math.max(
      ...admittedAt.map((t) => admittedAt.filter((u) => u > t - windowMs && u <= t).length),
    );
    expect(busiest).toBe(limit);
  });

  it('reserves tokens at admission and settles them to the actual usage', async () => {
    const l = store.make();
    const scope = tenant({ tokensPerMinute: 1_000 });
    const [A, B, C] = [lease(), lease(), lease()];
    const admit = (leaseId: string, tokens: number, at: number): Promise<AdmitVerdict> =>
      l.admit({ scopes: [scope], tokens, leaseId, leaseMs: 300 * S, now: at });

    const first = await admit(A, 600, T0);
    expect(first.ok && first.report).toEqual([
      { scope: 'tenant', limit: 'tokens', quota: 1_000, windowS: 60, remaining: 400, resetS: 60 },
    ]);
    expect(refused(await admit(B, 600, T0))).toMatchObject({
      limit: 'tokens',
      retryAfterS: 60,
      exceedsQuota: false,
    });

    // One model call used 150: 450 still reserved + 150 used; the end of the task drops the rest.
    expect(await l.settle(A, 150, { now: T0 + 1 * S })).toBe(true);
    expect(await l.state(scope, { now: T0 + 1 * S })).toMatchObject({ tokens: 600 });
    expect(await l.release(A, { now: T0 + 2 * S })).toBe(true);
    expect(await l.state(scope, { now: T0 + 2 * S })).toMatchObject({ tokens: 150 });

    expect((await admit(B, 600, T0 + 3 * S)).ok).toBe(true);
    // 750 held; 300 more needs the 150 settled at T0 + 1 s to leave the window.
    expect(refused(await admit(C, 300, T0 + 4 * S)).retryAfterS).toBe(57);
    expect((await admit(C, 300, T0 + 61 * S)).ok).toBe(true);
  });

  it('settles several model calls per lease, usage beyond the reservation in full', async () => {
    const l = store.make();
    const scope = tenant({ tokensPerMinute: 10_000 });
    const D = lease();
    await l.admit({ scopes: [scope], tokens: 100, leaseId: D, leaseMs: 60 * S, now: T0 });
    await l.settle(D, 80, { now: T0 + 1 });
    expect(await l.state(scope, { now: T0 + 1 })).toMatchObject({ tokens: 100 });
    await l.settle(D, 80, { now: T0 + 2 });
    expect(await l.state(scope, { now: T0 + 2 })).toMatchObject({ tokens: 160 });
    await l.release(D, { now: T0 + 3 });
    await l.release(D, { now: T0 + 4 });
    expect(await l.state(scope, { now: T0 + 4 })).toEqual({
      requests: 1,
      tokens: 160,
      concurrent: 0,
    });
    // A call that ends after the task was released still counts.
    await l.settle(D, 40, { now: T0 + 5 });
    expect(await l.state(scope, { now: T0 + 5 })).toMatchObject({ tokens: 200 });
    expect(await l.settle('job-unknown', 10)).toBe(false);
  });

  it('refuses a request whose tokens alone exceed the quota as never passing', async () => {
    const l = store.make();
    const v = refused(
      await l.admit({
        scopes: [tenant({ tokensPerMinute: 1_000 })],
        tokens: 1_001,
        leaseId: lease(),
        leaseMs: S,
      }),
    );
    expect(v).toMatchObject({ limit: 'tokens', exceedsQuota: true });
  });

  it('holds concurrency slots until release or lease expiry', async () => {
    const l = store.make();
    const scope = tenant({ concurrentTasks: 2 });
    const [A, B, C, D] = [lease(), lease(), lease(), lease()];
    const admit = (leaseId: string, at: number, leaseMs = 30 * S): Promise<AdmitVerdict> =>
      l.admit({ scopes: [scope], tokens: 0, leaseId, leaseMs, now: at });

    expect((await admit(A, T0)).ok).toBe(true);
    expect((await admit(B, T0 + 5 * S)).ok).toBe(true);
    // The earliest lease (A) ends at T0 + 30 s at the latest.
    expect(refused(await admit(C, T0 + 10 * S))).toMatchObject({
      limit: 'concurrency',
      retryAfterS: 20,
    });
    expect(await l.release(A, { now: T0 + 11 * S })).toBe(true);
    expect(await l.release(A, { now: T0 + 11 * S })).toBe(true);
    expect((await admit(C, T0 + 12 * S)).ok).toBe(true);
    expect(await l.state(scope, { now: T0 + 12 * S })).toMatchObject({ concurrent: 2 });
    // Nobody releases B (its process died): its slot counts until T0 + 35 s, then D fits.
    expect(refused(await admit(D, T0 + 35 * S - 1)).retryAfterS).toBe(1);
    expect((await admit(D, T0 + 35 * S)).ok).toBe(true);
    expect(await l.release('job-unknown')).toBe(false);
  });

  it('real time: after waiting Retry-After the refused request passes', async () => {
    const l = store.make({ windowMs: 1_500 });
    const rate = [tenant({ requestsPerMinute: 1 })];
    const slots = [tenant({ concurrentTasks: 1 })];
    expect((await l.admit({ scopes: rate, tokens: 0, leaseId: lease(), leaseMs: S })).ok).toBe(
      true,
    );
    expect((await l.admit({ scopes: slots, tokens: 0, leaseId: lease(), leaseMs: 1_200 })).ok).toBe(
      true,
    );
    const byRate = refused(
      await l.admit({ scopes: rate, tokens: 0, leaseId: lease(), leaseMs: S }),
    );
    const bySlot = refused(
      await l.admit({ scopes: slots, tokens: 0, leaseId: lease(), leaseMs: S }),
    );
    expect([byRate.limit, bySlot.limit]).toEqual(['requests', 'concurrency']);
    await sleep(Math.max(byRate.retryAfterS, bySlot.retryAfterS) * 1_000);
    expect((await l.admit({ scopes: rate, tokens: 0, leaseId: lease(), leaseMs: S })).ok).toBe(
      true,
    );
    expect((await l.admit({ scopes: slots, tokens: 0, leaseId: lease(), leaseMs: S })).ok).toBe(
      true,
    );
  });

  it('all or nothing: a refusal by the key takes nothing from the tenant, and back', async () => {
    const l = store.make();
    const t = tenant({ requestsPerMinute: 10, tokensPerMinute: 1_000, concurrentTasks: 10 });
    const k1 = key({ requestsPerMinute: 1 });
    const k2 = key({ tokensPerMinute: 5_000 });
    const admit = (k: LimitScope, tokens: number): Promise<AdmitVerdict> =>
      l.admit({ scopes: [t, k], tokens, leaseId: lease(), leaseMs: 60 * S, now: T0 });

    expect((await admit(k1, 100)).ok).toBe(true);
    expect(refused(await admit(k1, 100))).toMatchObject({ scope: 'key', limit: 'requests' });
    expect(await l.state(t, { now: T0 })).toEqual({ requests: 1, tokens: 100, concurrent: 1 });

    expect(refused(await admit(k2, 950))).toMatchObject({ scope: 'tenant', limit: 'tokens' });
    expect(await l.state(k2, { now: T0 })).toEqual({ requests: 0, tokens: 0, concurrent: 0 });
    expect(await l.state(t, { now: T0 })).toEqual({ requests: 1, tokens: 100, concurrent: 1 });
  });

  it('reports the limit that frees last when several refuse', async () => {
    const l = store.make();
    const t = tenant({ requestsPerMinute: 1 });
    const k = key({ concurrentTasks: 1 });
    await l.admit({ scopes: [t, k], tokens: 0, leaseId: lease(), leaseMs: 90 * S, now: T0 });
    const v = refused(
      await l.admit({ scopes: [t, k], tokens: 0, leaseId: lease(), leaseMs: S, now: T0 }),
    );
    expect(v).toMatchObject({ scope: 'key', limit: 'concurrency', retryAfterS: 90 });
  });

  it('admits a live lease once: the same job again takes nothing more', async () => {
    const l = store.make();
    const scope = tenant({ requestsPerMinute: 5, tokensPerMinute: 1_000 });
    const A = lease();
    const args = { scopes: [scope], tokens: 300, leaseId: A, leaseMs: 60 * S, now: T0 };
    expect(await l.admit(args)).toMatchObject({ ok: true, alreadyAdmitted: false });
    expect(await l.admit(args)).toMatchObject({ ok: true, alreadyAdmitted: true });
    expect(await l.state(scope, { now: T0 })).toEqual({ requests: 1, tokens: 300, concurrent: 1 });
    await l.release(A, { now: T0 + 1 });
    expect(await l.admit({ ...args, now: T0 + 2 })).toMatchObject({ alreadyAdmitted: false });
    expect(await l.state(scope, { now: T0 + 2 })).toEqual({
      requests: 2,
      tokens: 300,
      concurrent: 1,
    });
  });

  it('builds the RateLimit headers from a verdict', async () => {
    const l = store.make();
    const scopes = [
      tenant({ requestsPerMinute: 2, concurrentTasks: 1 }),
      key({ tokensPerMinute: 1_000 }),
    ];
    const ok = await l.admit({ scopes, tokens: 400, leaseId: lease(), leaseMs: 30 * S, now: T0 });
    expect(rateLimitHeaders(ok)).toEqual({
      'RateLimit-Policy':
        '"tenant-requests";q=2;w=60, "tenant-concurrency";q=1;qu="concurrent-requests", "key-tokens";q=1000;qu="tokens";w=60',
      RateLimit:
        '"tenant-requests";r=1;t=60, "tenant-concurrency";r=0;t=30, "key-tokens";r=600;t=60',
    });
    const no = await l.admit({
      scopes,
      tokens: 400,
      leaseId: lease(),
      leaseMs: S,
      now: T0 + 10 * S,
    });
    expect(rateLimitHeaders(no)).toEqual({
      'RateLimit-Policy':
        '"tenant-requests";q=2;w=60, "tenant-concurrency";q=1;qu="concurrent-requests", "key-tokens";q=1000;qu="tokens";w=60',
      RateLimit:
        '"tenant-requests";r=1;t=50, "tenant-concurrency";r=0;t=20, "key-tokens";r=600;t=50',
      'Retry-After': '20',
    });
  });
});

describe('limits in redis across restarts and processes', () => {
  it('a new limiter on the same Redis sees the old counts, leases and reservations', async () => {
    const prefix = `t-${randomUUID()}`;
    const scope = tenant({ requestsPerMinute: 2, tokensPerMinute: 1_000, concurrentTasks: 5 });
    const A = lease();
    const before = createLimiter({ redisUrl: redis!.url, prefix });
    await before.admit({ scopes: [scope], tokens: 500, leaseId: A, leaseMs: 60 * S });
    await before.admit({ scopes: [scope], tokens: 0, leaseId: lease(), leaseMs: 60 * S });
    await before.close();

    const after = track(createLimiter({ redisUrl: redis!.url, prefix }));
    expect(await after.state(scope)).toEqual({ requests: 2, tokens: 500, concurrent: 2 });
    expect(
      refused(await after.admit({ scopes: [scope], tokens: 0, leaseId: lease(), leaseMs: S })),
    ).toMatchObject({ limit: 'requests' });
    // A worker (another process) settles and releases what the API admitted.
    expect(await after.settle(A, 120)).toBe(true);
    expect(await after.release(A)).toBe(true);
    expect(await after.state(scope)).toEqual({ requests: 2, tokens: 120, concurrent: 1 });
  });
});

describe('limits when Redis goes away', () => {
  it('admit rejects instead of waiting, so the caller can decide', async () => {
    const own = await startRedis();
    const errors: Error[] = [];
    const l = track(createLimiter({ redisUrl: own.url, onError: (e) => errors.push(e) }));
    const scopes = [tenant({ requestsPerMinute: 5 })];
    expect((await l.admit({ scopes, tokens: 0, leaseId: lease(), leaseMs: S })).ok).toBe(true);
    await own.stop();
    await expect(l.admit({ scopes, tokens: 0, leaseId: lease(), leaseMs: S })).rejects.toThrow();
    expect(errors.some((e) => /ECONNREFUSED/.test(e.message))).toBe(true);
  });
});
