import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { generatePayloadKey, parsePayloadKeys } from '../../shared/platform/payload-codec';
import { AUDIT_GENESIS, type TenantStore } from '../../shared/tenancy/store';
import { useStoreSuite, type StoreKind } from '../support/store-suite';

/** The audit trail (migration 0008) on a real SQLite file and a real PostgreSQL. */

const { open, freshTarget } = useStoreSuite('audit');

const rawDb = (store: TenantStore): Kysely<unknown> =>
  (store as unknown as { db: Kysely<unknown> }).db;

async function appendSome(store: TenantStore, tenantId: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await store.audit.append(
      {
        key: `${tenantId}-${i}`,
        tenantId,
        actor: 'key:k_admin',
        action: 'key.created',
        detail: { keyId: `k_${i}`, roles: ['tasks'] },
      },
      1_000 + i,
    );
  }
}

describe.each<StoreKind>(['sqlite', 'postgres'])('audit trail on %s', (kind) => {
  it('chains each tenant’s records, is idempotent by key, and lists newest first', async () => {
    const store = await open(kind);
    await appendSome(store, 'acme', 3);
    await appendSome(store, 'globex', 2);
    // The same key again: the first record, no new link.
    const again = await store.audit.append(
      { key: 'acme-2', tenantId: 'acme', actor: 'key:other', action: 'key.revoked' },
      9_999,
    );
    expect(again).toMatchObject({ seq: 2, action: 'key.created', actor: 'key:k_admin' });

    const page1 = await store.audit.list('acme', { limit: 2 });
    expect(page1.items.map((r) => r.seq)).toEqual([3, 2]);
    expect(page1.next).toBe(2);
    const page2 = await store.audit.list('acme', { limit: 2, before: page1.next });
    expect(page2.items.map((r) => r.seq)).toEqual([1]);
    expect(page2.next).toBeUndefined();
    const [first] = page2.items;
    expect(first).toMatchObject({ prevHash: AUDIT_GENESIS, tenantId: 'acme', keyId: '' });
    expect(page1.items[1]!.prevHash).toBe(first!.hash);
    expect(page1.items[0]!.prevHash).toBe(page1.items[1]!.hash);
    // Another tenant's chain is its own.
    expect((await store.audit.list('globex', { limit: 10 })).items.map((r) => r.seq)).toEqual([
      2, 1,
    ]);

    expect(await store.audit.verify()).toEqual({
      ok: true,
      tenants: 2,
      records: 5,
      problems: [],
    });
  });

  it('never forks a chain under concurrent appends', async () => {
    const store = await open(kind);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.audit.append(
          { key: `c-${i}`, tenantId: 'acme', actor: 'system:worker', action: 'job.completed' },
          5_000 + i,
        ),
      ),
    );
    const all = await store.audit.list('acme', { limit: 100 });
    expect(all.items.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    expect((await store.audit.verify({ tenantId: 'acme' })).ok).toBe(true);
  });

  it('finds an edited record, a deleted one, a deleted tail and a rewritten chain', async () => {
    const store = await open(kind);
    await appendSome(store, 'acme', 5);
    await appendSome(store, 'globex', 2);
    const db = rawDb(store);

    // An edited detail: its own hash no longer matches.
    await sql`update audit_log set detail = ${'{"keyId":"k_forged","roles":["admin"]}'}
      where tenant_id = 'acme' and seq = 2`.execute(db);
    let report = await store.audit.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { tenantId: 'acme', seq: 2, problem: 'its content does not match its hash' },
    ]);

    // A deleted record in the middle: a gap, and the next one links to nothing.
    await sql`delete from audit_log where tenant_id = 'acme' and seq = 4`.execute(db);
    report = await store.audit.verify({ tenantId: 'acme' });
    expect(report.problems).toContainEqual({
      tenantId: 'acme',
      seq: 4,
      problem: 'records 4–4 are missing',
    });
    expect(report.problems).toContainEqual({
      tenantId: 'acme',
      seq: 5,
      problem: 'does not link to the record before it',
    });

    // The tail of another chain deleted: the head remembers it.
    await sql`delete from audit_log where tenant_id = 'globex' and seq = 2`.execute(db);
    report = await store.audit.verify({ tenantId: 'globex' });
    expect(report.problems).toEqual([
      { tenantId: 'globex', seq: 2, problem: 'records 2–2 at the end are missing' },
    ]);
    // The rest of the trail is still reported whole.
    expect(report.records).toBe(1);
  });

  it('keys the hashes with the payload keys: a rewritten chain does not verify without them', async () => {
    const keys = parsePayloadKeys(generatePayloadKey());
    const target = freshTarget(kind);
    const keyed = await open({ ...target, secretKeys: keys });
    await appendSome(keyed, 'acme', 3);
    const [last] = (await keyed.audit.list('acme', { limit: 1 })).items;
    expect(last!.keyId).toBe(keys[0]!.id);
    expect((await keyed.audit.verify()).ok).toBe(true);

    // Someone with the database but no key edits record 3 and recomputes a plain SHA-256 for it:
    // the keyed check still fails.
    const db = rawDb(keyed);
    await sql`update audit_log set actor = 'key:intruder' where seq = 3`.execute(db);
    expect((await keyed.audit.verify()).problems).toEqual([
      { tenantId: 'acme', seq: 3, problem: 'its content does not match its hash' },
    ]);

    // Rotation: a new primary key keys new records; old ones verify with the old key kept.
    const fresh = freshTarget(kind);
    const first = await open({ ...fresh, secretKeys: keys });
    await appendSome(first, 'acme', 2);
    const rotated = [...parsePayloadKeys(generatePayloadKey(new Date(Date.now() + 1000))), ...keys];
    const second = await open({ ...fresh, secretKeys: rotated });
    await second.audit.append(
      { key: 'after-rotation', tenantId: 'acme', actor: 'key:k_admin', action: 'key.rotated' },
      2_000,
    );
    expect((await second.audit.verify()).ok).toBe(true);
    // Without the old key the old records cannot be checked, and the report says which key.
    const newOnly = await open({ ...fresh, secretKeys: rotated.slice(0, 1) });
    const report = await newOnly.audit.verify();
    expect(report.ok).toBe(false);
    expect(report.problems[0]!.problem).toContain(keys[0]!.id);
  });
});
