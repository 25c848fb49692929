import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TenantStore,
  type ApiKeyRecord,
  type LedgerEntry,
  type NewTenant,
  type OpenTenantStore,
} from '../../shared/tenancy/store';
import { runBudgetCycles, WORST_CASE_MICROS, type CycleResult } from '../support/budget-cycles';
import { startTestPostgres, type PostgresServer } from '../support/postgres';
import { startTs, stop, waitFor } from '../support/processes';

/**
 * The tenant store against a real SQLite file and a real PostgreSQL (Debian's server, started
 * here on a free port): one suite, run on both. Each test gets its own database (a new file, a
 * new PostgreSQL database), so tests never see each other's rows.
 */

let pg: PostgresServer | undefined;
let tmp = '';
const opened: TenantStore[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'keel-tenant-store-'));
  pg = await startTestPostgres();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await pg?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

type Kind = 'sqlite' | 'postgres';

/** Where a fresh, empty store lives on each database. */
function freshTarget(kind: Kind): OpenTenantStore {
  if (kind === 'sqlite') return { sqlitePath: path.join(tmp, randomUUID(), 'keel.db') };
  if (!pg) throw new Error('PostgreSQL did not start');
  return { url: pg.createDatabase() };
}

async function open(target: OpenTenantStore): Promise<TenantStore> {
  const store = await TenantStore.open(target);
  opened.push(store);
  return store;
}

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const tenant = (id: string, over: Partial<NewTenant> = {}): NewTenant => ({
  id,
  name: `Tenant ${id}`,
  planId: 'pro',
  status: 'active',
  overrides: {},
  ...over,
});
const apiKey = (tenantId: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord => {
  const id = randomUUID();
  return {
    id,
    tenantId,
    name: 'ci',
    prefix: 'keel_live_AbCd',
    hash: randomUUID().replaceAll('-', '').repeat(2),
    roles: ['caller'],
    env: 'live',
    createdAt: T0,
    expiresAt: null,
    revokedAt: null,
    ...over,
  };
};
const entry = (tenantId: string, over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  at: T0,
  tenantId,
  keyId: null,
  jobId: randomUUID(),
  task: 'summarize',
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptVersion: 'v1',
  inputTokens: 100,
  outputTokens: 20,
  cachedInputTokens: 0,
  costMicros: 500,
  outcome: 'ok',
  ...over,
});
const PERIOD = '2026-01';
const LIMIT = 20_000; // ~20 calls of a 1,000 µUSD worst case

describe.each<Kind>(['sqlite', 'postgres'])('tenant store on %s', (kind) => {
  it('applies its migrations once: a second open, and three opens at once, keep the data', async () => {
    const target = freshTarget(kind);
    const first = await open(target);
    expect(first.dialect).toBe(kind);
    await first.createTenant(tenant('acme'), T0);
    await first.close();
    opened.splice(opened.indexOf(first), 1);

    const again = await open(target);
    expect(await again.getTenant('acme')).toMatchObject({ id: 'acme', name: 'Tenant acme' });

    const fresh = freshTarget(kind);
    const racing = await Promise.all([open(fresh), open(fresh), open(fresh)]);
    await racing[0].createTenant(tenant('one'), T0);
    for (const s of racing) expect((await s.getTenant('one'))?.id).toBe('one');
  });

  it('creates, reads and updates tenants; a duplicate id is refused and changes nothing', async () => {
    const store = await open(freshTarget(kind));
    const created = await store.createTenant(tenant('acme', { overrides: { rpm: 60 } }), T0);
    expect(created).toEqual({
      ...tenant('acme', { overrides: { rpm: 60 } }),
      createdAt: T0,
      updatedAt: T0,
    });

    const dup = await store
      .createTenant(tenant('acme', { name: 'Impostor', planId: 'free' }), T0 + 5)
      .catch((e: unknown) => e);
    expect(dup).toMatchObject({ name: 'DuplicateError', field: 'id' });
    expect(await store.getTenant('acme')).toEqual(created);

    const updated = await store.updateTenant(
      'acme',
      { status: 'suspended', overrides: { budgetUsd: 12.5, tasks: ['summarize'] } },
      T0 + 10,
    );
    expect(updated).toEqual({
      ...created,
      status: 'suspended',
      overrides: { budgetUsd: 12.5, tasks: ['summarize'] },
      updatedAt: T0 + 10,
    });
    expect(await store.getTenant('acme')).toEqual(updated);
    expect(await store.updateTenant('nobody', { name: 'x' }, T0)).toBeUndefined();
    expect(await store.getTenant('nobody')).toBeUndefined();

    // Seeding from the config file at every start never undoes what an admin changed.
    const seeded = await store.upsertTenant(tenant('acme'), T0 + 20);
    expect(seeded).toEqual({ tenant: updated, created: false });
    const seededNew = await store.upsertTenant(tenant('beta'), T0 + 20);
    expect(seededNew.created).toBe(true);
    expect(await store.getTenant('beta')).toEqual(seededNew.tenant);
  });

  it('pages through tenants in id order with a keyset cursor', async () => {
    const store = await open(freshTarget(kind));
    const ids = ['t07', 't02', 't05', 't01', 't06', 't03', 't04'];
    for (const id of ids) await store.createTenant(tenant(id), T0);
    const pages: string[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.listTenants({ limit: 3, after });
      if (page.length === 0) break;
      pages.push(page.map((t) => t.id));
      after = page.at(-1)!.id;
    }
    expect(pages).toEqual([['t01', 't02', 't03'], ['t04', 't05', 't06'], ['t07']]);
  });

  it('keeps plans as data: upsert replaces the definition', async () => {
    const store = await open(freshTarget(kind));
    await store.upsertPlan({ id: 'pro', definition: { rpm: 600 }, updatedAt: T0 });
    await store.upsertPlan({ id: 'free', definition: { rpm: 10 }, updatedAt: T0 });
    await store.upsertPlan({
      id: 'pro',
      definition: { rpm: 900, budgetUsd: 50 },
      updatedAt: T0 + 1,
    });
    expect(await store.getPlan('pro')).toEqual({
      id: 'pro',
      definition: { rpm: 900, budgetUsd: 50 },
      updatedAt: T0 + 1,
    });
    expect((await store.listPlans()).map((p) => p.id)).toEqual(['free', 'pro']);
    expect(await store.getPlan('gold')).toBeUndefined();
  });

  it('finds a key and its tenant by hash; revoked and expired keys come back with their times', async () => {
    const store = await open(freshTarget(kind));
    const acme = await store.createTenant(tenant('acme'), T0);
    await store.createTenant(tenant('beta'), T0);
    const k = apiKey('acme', { roles: ['caller', 'admin'] });
    await store.insertKey(k);
    const other = apiKey('beta');
    await store.insertKey(other);

    expect(await store.findKeyByHash(k.hash)).toEqual({ key: k, tenant: acme });
    expect(await store.findKeyByHash('0'.repeat(64))).toBeUndefined();
    expect(
      await store.insertKey({ ...apiKey('beta'), hash: k.hash }).catch((e: unknown) => e),
    ).toMatchObject({
      name: 'DuplicateError',
      field: 'hash',
    });
    expect(await store.listKeys('beta')).toEqual([other]);
    await expect(store.insertKey(apiKey('ghost'))).rejects.toThrow();

    // A tenant's key is not reachable through another tenant.
    expect(await store.getKey('beta', k.id)).toBeUndefined();
    expect(await store.revokeKey('beta', k.id, T0 + 1)).toBeUndefined();
    expect((await store.findKeyByHash(k.hash))?.key.revokedAt).toBeNull();

    // Rotation: the old key gets an end of overlap; a later expiry never extends it.
    expect((await store.expireKey('acme', k.id, T0 + 60_000))?.expiresAt).toBe(T0 + 60_000);
    expect((await store.expireKey('acme', k.id, T0 + 90_000))?.expiresAt).toBe(T0 + 60_000);
    expect((await store.revokeKey('acme', k.id, T0 + 100))?.revokedAt).toBe(T0 + 100);
    expect((await store.revokeKey('acme', k.id, T0 + 200))?.revokedAt).toBe(T0 + 100);
    expect(await store.findKeyByHash(k.hash)).toEqual({
      key: { ...k, expiresAt: T0 + 60_000, revokedAt: T0 + 100 },
      tenant: acme,
    });
  });

  it('seeds config-file keys idempotently by hash, without undoing a revocation', async () => {
    const store = await open(freshTarget(kind));
    await store.createTenant(tenant('acme'), T0);
    const k = apiKey('acme');
    expect(await store.seedKey(k)).toBe(true);
    expect(await store.seedKey({ ...k, id: randomUUID() })).toBe(false);
    await store.revokeKey('acme', k.id, T0 + 5);
    expect(await store.seedKey(k)).toBe(false);
    expect(await store.listKeys('acme')).toEqual([{ ...k, revokedAt: T0 + 5 }]);
  });

  /** What must hold after racing cycles, whoever ran them. */
  async function expectExactBudget(store: TenantStore, results: CycleResult[]): Promise<void> {
    const granted = results.filter((r) => r.ok);
    // The race was real: more than the limit's worth of calls asked, some were refused.
    expect(granted.length).toBeGreaterThanOrEqual(LIMIT / WORST_CASE_MICROS);
    expect(granted.length).toBeLessThan(results.length);
    for (const g of granted) expect(g.heldAfterGrant).toBeLessThanOrEqual(LIMIT);

    const state = await store.budgetState('acme', PERIOD);
    expect(state.spentMicros).toBeLessThanOrEqual(LIMIT);
    const billed = granted.reduce((sum, r) => sum + r.costMicros, 0);
    expect(state).toEqual({ spentMicros: billed, reservedMicros: 0 });
    // Nothing left reserved by the refused ones either: no reservation row remains to sweep.
    expect(await store.sweepExpiredReservations(Number.MAX_SAFE_INTEGER)).toBe(0);
    // The ledger holds every settled call, once, and sums to what was spent.
    const [total] = await store.usage({ tenantId: 'acme', from: 0, to: T0 + 1, groupBy: [] });
    expect(total).toMatchObject({ calls: granted.length, costMicros: state.spentMicros });
  }

  it('THE RACE: 50 reserve+settle cycles from two stores never spend past the limit', async () => {
    const target = freshTarget(kind);
    const a = await open(target);
    const b = await open(target);
    await a.createTenant(tenant('acme'), T0);
    const ids = Array.from({ length: 50 }, (_, i) => `call-${i}`);
    const cycles = { tenantId: 'acme', period: PERIOD, limitMicros: LIMIT };
    const results = await Promise.all([
      runBudgetCycles(a, { ...cycles, ids: ids.filter((_, i) => i % 2 === 0) }),
      runBudgetCycles(b, { ...cycles, ids: ids.filter((_, i) => i % 2 === 1) }),
    ]);
    await expectExactBudget(b, results.flat());
  });

  it('THE RACE across two processes: 2 × 40 cycles on one budget stay exact', async () => {
    const target = freshTarget(kind);
    const store = await open(target);
    await store.createTenant(tenant('acme'), T0);
    const cycles = { tenantId: 'acme', period: PERIOD, limitMicros: LIMIT };
    const other = startTs('test/support/budget-cycles.ts', {}, [
      JSON.stringify({
        target,
        cycles: { ...cycles, ids: Array.from({ length: 40 }, (_, i) => `child-${i}`) },
      }),
    ]);
    try {
      await waitFor('the other process to open the store', () => other.output().includes('ready'), {
        timeoutMs: 30_000,
        process: other,
      });
      other.child.kill('SIGUSR2');
      const mine = await runBudgetCycles(store, {
        ...cycles,
        ids: Array.from({ length: 40 }, (_, i) => `parent-${i}`),
      });
      expect(await other.exited, other.output()).toBe(0);
      const line = other
        .output()
        .split('\n')
        .find((l) => l.startsWith('result '));
      const theirs = JSON.parse(line?.slice('result '.length) ?? '[]') as CycleResult[];
      expect(theirs).toHaveLength(40);
      await expectExactBudget(store, [...mine, ...theirs]);
    } finally {
      await stop(other, 'SIGKILL');
    }
  });

  it('charges a call whose process died mid-call its worst case, as an estimate; a late settle replaces it', async () => {
    const store = await open(freshTarget(kind));
    await store.createTenant(tenant('acme'), T0);
    const call = entry('acme', { costMicros: 0, inputTokens: 0, outputTokens: 0 });
    await store.reserveBudget({
      reservationId: 'cut-off',
      tenantId: 'acme',
      period: '2026-01',
      amountMicros: 800,
      limitMicros: 1_000,
      expiresAt: T0 + 1_000,
      entry: { ...call, outcome: 'interrupted' },
    });
    expect(await store.sweepExpiredReservations(T0 + 1_000)).toBe(1);
    const range = { tenantId: 'acme', from: T0 - 1, to: T0 + 1, groupBy: [] };
    // Counted and charged: the vendor may have billed it all, so the budget keeps the worst case.
    expect(await store.usage(range)).toEqual([
      expect.objectContaining({
        calls: 1,
        failedCalls: 1,
        interruptedCalls: 1,
        costMicros: 800,
        estimatedCostMicros: 800,
        inputTokens: 0,
      }),
    ]);
    expect(await store.budgetState('acme', '2026-01')).toEqual({
      spentMicros: 800,
      reservedMicros: 0,
    });
    // So the budget refuses what would pass it with the estimate counted.
    expect(
      await store.reserveBudget({
        reservationId: 'next',
        tenantId: 'acme',
        period: '2026-01',
        amountMicros: 300,
        limitMicros: 1_000,
        expiresAt: T0 + 5_000,
      }),
    ).toMatchObject({ ok: false, spentMicros: 800 });
    // A cancelled settle brings no usage: the estimate stays.
    expect(
      await store.settleBudget({
        reservationId: 'cut-off',
        entry: { ...call, outcome: 'interrupted' },
      }),
    ).toBeUndefined();
    expect(await store.budgetState('acme', '2026-01')).toMatchObject({ spentMicros: 800 });
    // The call did come back after all: its row gets the vendor's usage, billed once.
    const late = {
      ...call,
      inputTokens: 100,
      outputTokens: 20,
      costMicros: 360,
      outcome: 'ok' as const,
    };
    expect(await store.settleBudget({ reservationId: 'cut-off', entry: late })).toEqual({
      spentMicros: 360,
    });
    expect(await store.settleBudget({ reservationId: 'cut-off', entry: late })).toBeUndefined();
    expect(await store.usage(range)).toEqual([
      expect.objectContaining({
        calls: 1,
        failedCalls: 0,
        interruptedCalls: 0,
        costMicros: 360,
        estimatedCostMicros: 0,
        inputTokens: 100,
      }),
    ]);
    expect(await store.budgetState('acme', '2026-01')).toEqual({
      spentMicros: 360,
      reservedMicros: 0,
    });
  });

  it("a call's retry charges its predecessor's open reservation at once, not its own or another call's", async () => {
    const store = await open(freshTarget(kind));
    await store.createTenant(tenant('acme'), T0);
    const job = 'job-1';
    const reserve = (reservationId: string, callKey: string, amountMicros: number) =>
      store.reserveBudget({
        reservationId,
        tenantId: 'acme',
        period: PERIOD,
        amountMicros,
        limitMicros: LIMIT,
        // Held for an hour: only the retry can find it this soon.
        expiresAt: T0 + 3_600_000,
        entry: entry('acme', { jobId: job, costMicros: 0, outcome: 'interrupted', callKey }),
        callKey,
      });
    const key = `${job}/run-1/3`;
    await reserve(`${key}/1/aa`, key, 900); // the attempt whose worker was killed
    await reserve(`${job}/run-1/4/1/bb`, `${job}/run-1/4`, 700); // another call, still running
    await reserve(`${key}/2/cc`, key, 900); // the retry
    expect(await store.budgetState('acme', PERIOD)).toEqual({
      spentMicros: 0,
      reservedMicros: 2_500,
    });

    expect(await store.chargeAbandoned({ callKey: key, except: `${key}/2/cc` })).toEqual({
      calls: [{ reservationId: `${key}/1/aa`, costMicros: 900 }],
      spentMicros: 900,
    });
    // Once: a second look finds nothing, and the sweep has nothing of it left.
    expect(await store.chargeAbandoned({ callKey: key, except: `${key}/2/cc` })).toEqual({
      calls: [],
    });
    expect(await store.budgetState('acme', PERIOD)).toEqual({
      spentMicros: 900,
      reservedMicros: 1_600,
    });
    // The retry settles its own call as usual.
    await store.settleBudget({
      reservationId: `${key}/2/cc`,
      entry: entry('acme', { jobId: job, costMicros: 400, callKey: key }),
    });
    // The call's attempts in the ledger: what its next attempt would report.
    expect(await store.callLedger(key)).toEqual([
      { id: `${key}/1/aa`, outcome: 'interrupted', costMicros: 900, estimated: true },
      { id: `${key}/2/cc`, outcome: 'ok', costMicros: 400, estimated: false },
    ]);
    expect(await store.budgetState('acme', PERIOD)).toEqual({
      spentMicros: 1_300,
      reservedMicros: 700,
    });
    const [total] = await store.usage({ tenantId: 'acme', from: 0, to: T0 + 1, groupBy: [] });
    expect(total).toMatchObject({
      calls: 2,
      interruptedCalls: 1,
      costMicros: 1_300,
      estimatedCostMicros: 900,
    });
  });

  it('sweeps a reservation whose process died; a late settle still bills it, once', async () => {
    const store = await open(freshTarget(kind));
    await store.createTenant(tenant('acme'), T0);
    const period = '2026-01';
    const reserve = (reservationId: string, expiresAt: number): Promise<unknown> =>
      store.reserveBudget({
        reservationId,
        tenantId: 'acme',
        period,
        amountMicros: 800,
        limitMicros: 1_000,
        expiresAt,
      });
    await reserve('stale', T0 + 1_000);
    expect(await reserve('blocked', T0 + 1_000)).toEqual({
      ok: false,
      spentMicros: 0,
      reservedMicros: 800,
    });
    expect(await store.sweepExpiredReservations(T0 + 999)).toBe(0);
    expect(await store.sweepExpiredReservations(T0 + 1_000)).toBe(1);
    expect(await store.budgetState('acme', period)).toEqual({ spentMicros: 0, reservedMicros: 0 });

    await store.settleBudget({ reservationId: 'stale', entry: entry('acme', { costMicros: 700 }) });
    await store.settleBudget({ reservationId: 'stale', entry: entry('acme', { costMicros: 700 }) });
    expect(await store.budgetState('acme', period)).toEqual({
      spentMicros: 700,
      reservedMicros: 0,
    });

    // Released: a call that never reached the vendor leaves no trace.
    const next = { tenantId: 'acme', period: '2026-02', limitMicros: 1_000, expiresAt: T0 + 5_000 };
    expect(
      await store.reserveBudget({ ...next, reservationId: 'unsent', amountMicros: 800 }),
    ).toEqual({
      ok: true,
      spentMicros: 0,
      reservedMicros: 800,
    });
    await store.releaseBudget('unsent');
    await store.releaseBudget('unsent');
    expect(await store.budgetState('acme', '2026-02')).toEqual({
      spentMicros: 0,
      reservedMicros: 0,
    });

    // A tenant without a budget: billed straight to the ledger, a retry with the same id once.
    await store.recordUsage(entry('beta', { costMicros: 40 }), { id: 'u1' });
    await store.recordUsage(entry('beta', { costMicros: 40 }), { id: 'u1' });
    expect(await store.budgetState('beta', '2026-01')).toEqual({
      spentMicros: 40,
      reservedMicros: 0,
    });
    const rows = await store.usage({ from: 0, to: T0 + 1, groupBy: ['tenant'] });
    expect(rows.map((r) => [r.group.tenant, r.calls, r.costMicros])).toEqual([
      ['acme', 1, 700],
      ['beta', 1, 40],
    ]);
  });

  it('reports usage by task, model and day, with valid answers counted once per job', async () => {
    const store = await open(freshTarget(kind));
    const day1 = Date.UTC(2026, 0, 15, 23, 59, 0);
    const day2 = Date.UTC(2026, 0, 16, 0, 1, 0);
    const mini = { provider: 'openai', model: 'gpt-4o-mini' };
    const haiku = { provider: 'anthropic', model: 'claude-haiku' };
    const calls: LedgerEntry[] = [
      entry('acme', {
        at: day1,
        ...mini,
        task: 'summarize',
        costMicros: 300,
        jobId: 'j1',
        outcome: 'failed',
      }),
      entry('acme', { at: day1, ...haiku, task: 'summarize', costMicros: 900, jobId: 'j1' }),
      entry('acme', { at: day1, ...mini, task: 'summarize', costMicros: 200, jobId: 'j2' }),
      entry('acme', { at: day2, ...mini, task: 'summarize', costMicros: 250, jobId: 'j3' }),
      entry('acme', {
        at: day2,
        ...mini,
        task: 'classify-ticket',
        costMicros: 100,
        jobId: 'j4',
        inputTokens: 7,
      }),
      entry('beta', { at: day2, ...mini, task: 'summarize', costMicros: 999, jobId: 'j5' }),
      entry('acme', { at: day2 + 86_400_000, ...mini, costMicros: 5, jobId: 'later' }), // outside [from, to)
    ];
    for (const [i, c] of calls.entries())
      await store.settleBudget({ reservationId: `r${i}`, entry: c });
    const outcome = (
      jobId: string,
      at: number,
      valid: boolean,
      who: { provider: string; model: string } | null,
      task = 'summarize',
    ) =>
      store.recordJobOutcome({
        jobId,
        tenantId: jobId === 'j5' ? 'beta' : 'acme',
        keyId: 'k1',
        task,
        provider: who?.provider ?? null,
        model: who?.model ?? null,
        valid,
        status: valid ? 'completed' : 'failed',
        completedAt: at,
      });
    await outcome('j1', day1, true, haiku);
    await outcome('j1', day1, false, null); // a retried activity: the first outcome stands
    await outcome('j2', day1, true, mini);
    await outcome('j3', day2, false, null);
    await outcome('j4', day2, true, mini, 'classify-ticket');
    await outcome('j5', day2, true, mini);

    const from = Date.UTC(2026, 0, 15);
    const to = Date.UTC(2026, 0, 17);
    const rows = await store.usage({
      tenantId: 'acme',
      from,
      to,
      groupBy: ['task', 'model', 'day'],
    });
    const brief = rows.map((r) => ({
      ...r.group,
      calls: r.calls,
      failed: r.failedCalls,
      cost: r.costMicros,
      jobs: r.jobs,
      valid: r.validAnswers,
    }));
    expect(brief).toEqual([
      {
        task: 'classify-ticket',
        model: 'openai:gpt-4o-mini',
        day: '2026-01-16',
        calls: 1,
        failed: 0,
        cost: 100,
        jobs: 1,
        valid: 1,
      },
      {
        task: 'summarize',
        model: 'anthropic:claude-haiku',
        day: '2026-01-15',
        calls: 1,
        failed: 0,
        cost: 900,
        jobs: 1,
        valid: 1,
      },
      {
        task: 'summarize',
        model: 'none',
        day: '2026-01-16',
        calls: 0,
        failed: 0,
        cost: 0,
        jobs: 1,
        valid: 0,
      },
      {
        task: 'summarize',
        model: 'openai:gpt-4o-mini',
        day: '2026-01-15',
        calls: 2,
        failed: 1,
        cost: 500,
        jobs: 1,
        valid: 1,
      },
      {
        task: 'summarize',
        model: 'openai:gpt-4o-mini',
        day: '2026-01-16',
        calls: 1,
        failed: 0,
        cost: 250,
        jobs: 0,
        valid: 0,
      },
    ]);
    expect(rows[0]).toMatchObject({ inputTokens: 7, outputTokens: 20 });

    // By task over every tenant (the operator's view): cost per successful interaction follows.
    const byTask = await store.usage({ from, to, groupBy: ['task'] });
    expect(byTask.map((r) => [r.group.task, r.costMicros, r.validAnswers])).toEqual([
      ['classify-ticket', 100, 1],
      ['summarize', 300 + 900 + 200 + 250 + 999, 3],
    ]);
    const byKey = await store.usage({ tenantId: 'acme', from, to, groupBy: ['key'] });
    expect(byKey.map((r) => [r.group.key, r.calls, r.jobs])).toEqual([
      ['k1', 0, 4],
      ['none', 5, 0],
    ]);
  });
});

describe('the same schema on both databases', () => {
  it('creates the same tables and columns on SQLite and PostgreSQL', async () => {
    const sqlite = await open(freshTarget('sqlite'));
    const postgres = await open(freshTarget('postgres'));
    const onSqlite = await sqlite.describeSchema();
    expect(onSqlite.map((t) => t.table)).toEqual(
      expect.arrayContaining([
        'api_keys',
        'budget_periods',
        'budget_reservations',
        'job_outcomes',
        'plans',
        'tenants',
        'usage_ledger',
      ]),
    );
    expect(await postgres.describeSchema()).toEqual(onSqlite);
  });
});
