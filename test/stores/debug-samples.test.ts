import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { generatePayloadKey, parsePayloadKeys } from '../../shared/platform/payload-codec';
import type { NewDebugSample, TenantStore } from '../../shared/tenancy/store';
import { useStoreSuite, type StoreKind } from '../support/store-suite';

/**
 * Debug samples (migration 0016, docs/debug-samples.md) on a real SQLite file and a real
 * PostgreSQL: listed per tenant newest first with filters and pages, sealed at rest with the
 * payload keys, re-dated when the tenant's period changes, pruned by expiry whatever the
 * tenant's job retention, and erased with the tenant.
 */
const { open, freshTarget } = useStoreSuite('debug-samples');

const DAY_MS = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 11, 1);

const sample = (
  tenantId: string,
  i: number,
  over: Partial<NewDebugSample> = {},
): NewDebugSample => ({
  tenantId,
  jobId: `classify-ticket-${tenantId}-${i}`,
  task: i % 2 ? 'summarize' : 'classify-ticket',
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptVersion: 'classify-ticket@1',
  outcome: 'ok',
  latencyMs: 40 + i,
  inputTokens: 100,
  outputTokens: 20,
  at: T0 + i * 1000,
  expiresAt: T0 + i * 1000 + 7 * DAY_MS,
  messages: [
    { role: 'system', content: 'Classify the ticket.' },
    { role: 'user', content: `Ticket ${i} from [EMAIL]` },
  ],
  droppedMessages: 0,
  output: `{"category":"BILLING","n":${i}}`,
  ...over,
});

/** What the database itself holds in the samples' text column. */
async function storedContent(store: TenantStore): Promise<string[]> {
  const db = (store as unknown as { db: Kysely<unknown> }).db;
  const { rows } = await sql<{ content: string }>`select content from debug_samples`.execute(db);
  return rows.map((r) => r.content);
}

describe.each<StoreKind>(['sqlite', 'postgres'])('debug samples on %s', (kind) => {
  it('lists a tenant’s samples newest first, by task and time, in pages', async () => {
    const store = await open(kind);
    for (let i = 0; i < 5; i++) await store.debugSamples.record(sample('acme', i));
    await store.debugSamples.record(sample('globex', 9));

    const all = await store.debugSamples.list({ tenantId: 'acme', limit: 10 });
    expect(all.items.map((s) => s.jobId)).toEqual(
      [4, 3, 2, 1, 0].map((i) => `classify-ticket-acme-${i}`),
    );
    expect(all.next).toBeUndefined();
    expect(all.items[0]).toMatchObject({
      tenantId: 'acme',
      outcome: 'ok',
      latencyMs: 44,
      inputTokens: 100,
      outputTokens: 20,
      at: T0 + 4000,
      messages: [{ role: 'system' }, { role: 'user', content: 'Ticket 4 from [EMAIL]' }],
      output: '{"category":"BILLING","n":4}',
    });

    const first = await store.debugSamples.list({ tenantId: 'acme', limit: 2 });
    expect(first.items).toHaveLength(2);
    const second = await store.debugSamples.list({
      tenantId: 'acme',
      limit: 2,
      before: first.next!,
    });
    expect(second.items.map((s) => s.at)).toEqual([T0 + 2000, T0 + 1000]);

    const tasks = await store.debugSamples.list({ tenantId: 'acme', task: 'summarize', limit: 9 });
    expect(tasks.items.map((s) => s.at)).toEqual([T0 + 3000, T0 + 1000]);
    const window = await store.debugSamples.list({
      tenantId: 'acme',
      from: T0 + 1000,
      to: T0 + 3000,
      limit: 9,
    });
    expect(window.items.map((s) => s.at)).toEqual([T0 + 2000, T0 + 1000]);
    // The operator's view: every tenant.
    expect((await store.debugSamples.list({ limit: 9 })).items).toHaveLength(6);
  });

  it('seals the text with the payload keys; without them it is stored masked, in clear', async () => {
    const keys = parsePayloadKeys(generatePayloadKey());
    const target = freshTarget(kind);
    const keyed = await open({ ...target, secretKeys: keys });
    await keyed.debugSamples.record(sample('acme', 1));
    const [stored] = await storedContent(keyed);
    expect(stored).toMatch(/^sealed:v1:/);
    expect(stored).not.toContain('Ticket 1');
    expect((await keyed.debugSamples.list({ limit: 1 })).items[0]?.messages[1]?.content).toBe(
      'Ticket 1 from [EMAIL]',
    );
    // A process without the key fails to read it, naming the key id.
    const plain = await open(target);
    await expect(plain.debugSamples.list({ limit: 1 })).rejects.toThrow(keys[0]!.id);
    const other = await open(kind);
    await other.debugSamples.record(sample('acme', 2));
    expect((await storedContent(other))[0]).toContain('Ticket 2 from [EMAIL]');
  });

  it('prunes by expiry across tenants, re-dates on a new period, and erases with the tenant', async () => {
    const store = await open(kind);
    for (const t of ['acme', 'globex']) {
      await store.createTenant(
        { id: t, name: t, planId: 'unlimited', status: 'active', overrides: {} },
        T0,
      );
      for (let i = 0; i < 3; i++)
        await store.debugSamples.record(
          sample(t, i, { at: T0 + i * DAY_MS, expiresAt: T0 + i * DAY_MS + 2 * DAY_MS }),
        );
    }
    // As of day 3: samples of days 0 and 1 expired (at + 2 days ≤ day 3) in both tenants.
    // In batches (the retention activity heartbeats between them), oldest first.
    expect(await store.debugSamples.prune(T0 + 3 * DAY_MS, 3)).toEqual({ acme: 2, globex: 1 });
    expect(await store.debugSamples.prune(T0 + 3 * DAY_MS, 3)).toEqual({ globex: 1 });
    expect(await store.debugSamples.prune(T0 + 3 * DAY_MS)).toEqual({});
    // Acme keeps its samples 30 days now: the day-2 sample outlives day 4; globex's does not.
    expect(await store.debugSamples.redate('acme', 30)).toBe(1);
    expect(await store.debugSamples.prune(T0 + 4 * DAY_MS)).toEqual({ globex: 1 });
    const [kept] = (await store.debugSamples.list({ limit: 9 })).items;
    expect(kept).toMatchObject({ tenantId: 'acme', expiresAt: T0 + 32 * DAY_MS });

    await store.debugSamples.record(sample('globex', 7));
    const erased = await store.eraseTenantData('acme');
    expect(erased.debug_samples).toBe(1);
    expect((await store.debugSamples.list({ limit: 9 })).items.map((s) => s.tenantId)).toEqual([
      'globex',
    ]);
  });
});
