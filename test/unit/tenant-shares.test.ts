import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../server/problem';
import { TenantShares } from '../../server/tenant-shares';

const tick = () => new Promise((r) => setImmediate(r));

describe('TenantShares (KEEL_TENANT_ADMISSIONS)', () => {
  it("holds one tenant to its share while another tenant's request goes straight through", async () => {
    const shares = new TenantShares(2);
    const a1 = await shares.acquire('a');
    const a2 = await shares.acquire('a');
    const order: string[] = [];
    const a3 = shares.acquire('a').then((release) => (order.push('a3'), release));
    const a4 = shares.acquire('a').then((release) => (order.push('a4'), release));
    await tick();
    expect(shares.inUse('a')).toEqual({ running: 2, waiting: 2 });
    // B is not behind A's queue.
    const b1 = await shares.acquire('b');
    expect(shares.inUse('b')).toEqual({ running: 1, waiting: 0 });
    expect(order).toEqual([]);

    a1();
    await tick();
    expect(order).toEqual(['a3']);
    a2();
    await tick();
    expect(order).toEqual(['a3', 'a4']);
    expect(shares.inUse('a')).toEqual({ running: 2, waiting: 0 });
    (await a3)();
    (await a4)();
    b1();
    expect(shares.inUse('a')).toEqual({ running: 0, waiting: 0 });
    expect(shares.inUse('b')).toEqual({ running: 0, waiting: 0 });
  });

  it('a release called twice frees one share only', async () => {
    const shares = new TenantShares(1);
    const first = await shares.acquire('a');
    const second = shares.acquire('a');
    let third = false;
    void shares.acquire('a').then(() => (third = true));
    first();
    first();
    await second;
    await tick();
    expect(third).toBe(false);
    expect(shares.inUse('a')).toEqual({ running: 1, waiting: 1 });
  });

  it('refuses with 503 overloaded and Retry-After once too many of a tenant wait', async () => {
    const shares = new TenantShares(1, 2);
    await shares.acquire('a');
    void shares.acquire('a');
    void shares.acquire('a');
    const refused = await shares.acquire('a').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).slug).toBe('overloaded');
    expect((refused as ProblemError).headers).toMatchObject({ 'retry-after': '1' });
    // Another tenant is unaffected.
    await expect(shares.acquire('b')).resolves.toBeTypeOf('function');
  });

  it('0 turns shares off', async () => {
    const shares = new TenantShares(0);
    await Promise.all(Array.from({ length: 100 }, () => shares.acquire('a')));
    expect(shares.inUse('a')).toEqual({ running: 0, waiting: 0 });
  });
});
