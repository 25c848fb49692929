import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  generatePayloadKey,
  parsePayloadKeys,
  type PayloadKey,
} from '../../shared/platform/payload-codec';
import type { TenantStore } from '../../shared/tenancy/store';
import { CheckpointSigner } from '../../shared/tenancy/store/audit-checkpoint';
import { useStoreSuite, type StoreKind } from '../support/store-suite';

/**
 * Retention of the audit trail (migration 0017, docs/audit.md#checkpoints) on a real SQLite file
 * and a real PostgreSQL: retention deletes the front of a tenant's chain and leaves a signed
 * checkpoint that verify starts from; whoever edits the database without the payload keys cannot
 * hide a further deletion behind it.
 */

const { open, freshTarget } = useStoreSuite('audit-retention');

const rawDb = (store: TenantStore): Kysely<unknown> =>
  (store as unknown as { db: Kysely<unknown> }).db;

/** Records 1…n of the tenant, record i dated 1_000 + i. */
async function appendSome(store: TenantStore, tenantId: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++)
    await store.audit.append(
      { key: `${tenantId}-${i}`, tenantId, actor: 'key:k_admin', action: 'key.created' },
      1_000 + i,
    );
}

const seqs = async (store: TenantStore, tenantId: string): Promise<number[]> =>
  (await store.audit.list(tenantId, { limit: 100 })).items.map((r) => r.seq).reverse();

const checkpointOf = async (store: TenantStore, tenantId: string) =>
  (
    await sql<Record<string, unknown>>`select * from audit_checkpoints
      where tenant_id = ${tenantId}`.execute(rawDb(store))
  ).rows[0];

describe.each<StoreKind>(['sqlite', 'postgres'])('audit retention on %s', (kind) => {
  let keys: PayloadKey[];
  /** A keyed store whose 'acme' chain of 6 was pruned before record 4: records 4–6 kept. */
  async function pruned(): Promise<TenantStore> {
    keys = parsePayloadKeys(generatePayloadKey());
    const store = await open({ ...freshTarget(kind), secretKeys: keys });
    await appendSome(store, 'acme', 6);
    expect((await store.pruneTenantData('acme', 1_004)).audit_records).toBe(3);
    return store;
  }

  it('prunes the front of the chain behind a signed checkpoint; verify still passes', async () => {
    const store = await pruned();
    await appendSome(store, 'globex', 2);
    expect(await seqs(store, 'acme')).toEqual([4, 5, 6]);
    expect(await checkpointOf(store, 'acme')).toMatchObject({
      first_seq: expect.anything(),
      key_id: keys[0]!.id,
    });
    expect(await store.audit.verify()).toEqual({ ok: true, tenants: 2, records: 5, problems: [] });

    // Far past every record: all but the newest go, the checkpoint moves on and counts them all.
    expect((await store.pruneTenantData('acme', 1e12)).audit_records).toBe(2);
    expect(await seqs(store, 'acme')).toEqual([6]);
    const cp = await checkpointOf(store, 'acme');
    expect([Number(cp!.first_seq), Number(cp!.pruned_count)]).toEqual([6, 5]);
    // Again: nothing more to prune; new records chain on.
    expect((await store.pruneTenantData('acme', 1e12)).audit_records).toBe(0);
    await store.audit.append(
      { key: 'later', tenantId: 'acme', actor: 'system:retention', action: 'retention.enforced' },
      9_000,
    );
    expect(await store.audit.verify({ tenantId: 'acme' })).toEqual({
      ok: true,
      tenants: 1,
      records: 2,
      problems: [],
    });
    // The other tenant's chain is untouched.
    expect(await seqs(store, 'globex')).toEqual([1, 2]);
  });

  it('never prunes without payload keys, nor a chain already broken there', async () => {
    const plain = await open(kind);
    await appendSome(plain, 'acme', 4);
    expect((await plain.pruneTenantData('acme', 1e12)).audit_records).toBe(0);
    expect(await seqs(plain, 'acme')).toEqual([1, 2, 3, 4]);

    const keyed = await open({
      ...freshTarget(kind),
      secretKeys: parsePayloadKeys(generatePayloadKey()),
    });
    await appendSome(keyed, 'acme', 4);
    await sql`update audit_log set actor = 'key:intruder' where seq = 2`.execute(rawDb(keyed));
    // A checkpoint would seal the edit over: the records stay for verify to report.
    expect((await keyed.pruneTenantData('acme', 1e12)).audit_records).toBe(0);
    expect((await keyed.audit.verify()).problems).toEqual([
      { tenantId: 'acme', seq: 2, problem: 'its content does not match its hash' },
    ]);
  });

  it('finds a record deleted past the checkpoint, and a deleted checkpoint', async () => {
    let store = await pruned();
    await sql`delete from audit_log where seq = 4`.execute(rawDb(store));
    expect((await store.audit.verify()).problems).toEqual([
      { tenantId: 'acme', seq: 4, problem: 'records 4–4 are missing' },
      { tenantId: 'acme', seq: 5, problem: 'does not link to the record before it' },
    ]);

    store = await pruned();
    await sql`delete from audit_checkpoints`.execute(rawDb(store));
    expect((await store.audit.verify()).problems).toEqual([
      { tenantId: 'acme', seq: 1, problem: 'records 1–3 are missing' },
      { tenantId: 'acme', seq: 4, problem: 'does not link to the record before it' },
    ]);
  });

  it('finds an edited checkpoint: its prev_hash, its count', async () => {
    let store = await pruned();
    // Moved onto record 4 to hide its deletion: the MAC no longer matches.
    const [r4] = (await store.audit.list('acme', { limit: 1, before: 5 })).items;
    await sql`delete from audit_log where seq = 4`.execute(rawDb(store));
    await sql`update audit_checkpoints set first_seq = 5, pruned_count = 4,
      prev_hash = ${r4!.hash}`.execute(rawDb(store));
    expect((await store.audit.verify()).problems).toEqual([
      { tenantId: 'acme', seq: 5, problem: 'its checkpoint does not match its MAC' },
    ]);

    store = await pruned();
    await sql`update audit_checkpoints set prev_hash = ${'f'.repeat(64)}`.execute(rawDb(store));
    expect((await store.audit.verify()).problems).toEqual([
      { tenantId: 'acme', seq: 4, problem: 'its checkpoint does not match its MAC' },
      { tenantId: 'acme', seq: 4, problem: 'does not link to the record before it' },
    ]);

    store = await pruned();
    await sql`update audit_checkpoints set pruned_count = 1`.execute(rawDb(store));
    expect((await store.audit.verify()).problems).toEqual([
      { tenantId: 'acme', seq: 4, problem: 'its checkpoint does not match its MAC' },
    ]);
  });

  it('finds a checkpoint forged with another key, under its id or its own', async () => {
    for (const id of ['same', 'own'] as const) {
      const store = await pruned();
      const [r4] = (await store.audit.list('acme', { limit: 1, before: 5 })).items;
      const forger = new CheckpointSigner([
        { id: id === 'same' ? keys[0]!.id : 'k-forger', key: randomBytes(32) },
      ]);
      const forged = forger.sign({
        tenantId: 'acme',
        firstSeq: 5,
        prevHash: r4!.hash,
        prunedCount: 4,
        prunedBefore: 1_005,
        at: 2_000,
      });
      await sql`delete from audit_log where seq = 4`.execute(rawDb(store));
      await sql`update audit_checkpoints set first_seq = 5, pruned_count = 4,
        prev_hash = ${r4!.hash}, pruned_before = 1005, at = 2000, key_id = ${forged.keyId},
        mac = ${forged.mac}`.execute(rawDb(store));
      expect((await store.audit.verify()).problems).toEqual([
        {
          tenantId: 'acme',
          seq: 5,
          problem:
            id === 'same'
              ? 'its checkpoint does not match its MAC'
              : 'its checkpoint is signed with payload key "k-forger", which is not configured',
        },
      ]);
    }
  });
});
