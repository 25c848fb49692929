import { createHash, createHmac, hkdfSync } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { PayloadKey } from '../../platform/payload-codec';
import type { AuditTable, StoreSchema } from './schema';
import {
  AUDIT_GENESIS,
  type AuditPage,
  type AuditRecord,
  type AuditVerification,
  type NewAuditRecord,
} from './audit-types';

/** Records read per query while verifying: memory stays flat over any length of chain. */
const VERIFY_PAGE = 1_000;

/**
 * The audit trail: append-only records of who decided what (admin changes, admissions and
 * refusals, moderation and validation verdicts, review decisions, decoded payloads), one hash
 * chain per tenant. Each record carries its tenant's sequence number and the hash of the record
 * before it; its own hash covers every stored field and that previous hash, so an edited record
 * no longer matches its hash and a deleted one leaves a gap in the sequence and a broken link.
 * The chain's head (last sequence number and hash) is kept per tenant too, so a deleted tail is
 * found as well.
 *
 * With payload keys the hash is an HMAC under a key derived from the primary payload key (its id
 * is stored with the record): whoever can write to the database but holds no key cannot forge a
 * consistent chain after an edit. Without keys it is plain SHA-256, which finds accidental and
 * naive edits only; docs/audit.md says what each protects against.
 *
 * Appends to one chain are serialised by its head row: PostgreSQL locks the row for the
 * transaction, SQLite runs write transactions one at a time. An append is idempotent by its key.
 */
export class AuditLog {
  private readonly macKeys: ReadonlyMap<string, Buffer>;
  private readonly primaryKeyId: string;

  constructor(
    private readonly db: Kysely<StoreSchema>,
    keys: readonly PayloadKey[] = [],
  ) {
    this.macKeys = new Map(keys.map((k) => [k.id, auditMacKey(k.key)]));
    this.primaryKeyId = keys[0]?.id ?? '';
  }

  /** Appends a record to its tenant's chain; the same `key` again returns the first record. */
  async append(r: NewAuditRecord, at: number): Promise<AuditRecord> {
    const existing = await this.byKey(r.key);
    if (existing) return existing;
    try {
      return await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('audit_heads')
          .values({ tenant_id: r.tenantId, seq: 0, hash: AUDIT_GENESIS })
          .onConflict((oc) => oc.column('tenant_id').doNothing())
          .execute();
        // Takes the head row's lock (PostgreSQL) until commit: one append per chain at a time.
        const head = await trx
          .updateTable('audit_heads')
          .set((eb) => ({ seq: eb('seq', '+', 1) }))
          .where('tenant_id', '=', r.tenantId)
          .returning(['seq', 'hash'])
          .executeTakeFirstOrThrow();
        const record: Omit<AuditRecord, 'id' | 'hash'> = {
          tenantId: r.tenantId,
          seq: Number(head.seq),
          at,
          actor: r.actor,
          action: r.action,
          jobId: r.jobId ?? null,
          detail: r.detail ?? {},
          prevHash: head.hash,
          keyId: this.primaryKeyId,
        };
        const detail = JSON.stringify(record.detail);
        const hash = this.hashOf(record, detail, this.primaryKeyId);
        const row = await trx
          .insertInto('audit_log')
          .values({
            record_key: r.key,
            tenant_id: record.tenantId,
            seq: record.seq,
            at,
            actor: record.actor,
            action: record.action,
            job_id: record.jobId,
            detail,
            prev_hash: record.prevHash,
            hash,
            key_id: record.keyId,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('audit_heads')
          .set({ hash })
          .where('tenant_id', '=', r.tenantId)
          .execute();
        return recordFromRow(row);
      });
    } catch (err) {
      // Two appends of one key at once: the loser's transaction rolled back; it reads the winner's.
      const winner = await this.byKey(r.key);
      if (winner) return winner;
      throw err;
    }
  }

  /** A tenant's records, newest first, `limit` at a time; `before` is a previous page's `next`. */
  async list(
    tenantId: string,
    opts: { limit: number; before?: number; action?: string; jobId?: string },
  ): Promise<AuditPage> {
    let q = this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('seq', 'desc')
      .limit(opts.limit + 1);
    if (opts.before !== undefined) q = q.where('seq', '<', opts.before);
    if (opts.action) q = q.where('action', '=', opts.action);
    if (opts.jobId) q = q.where('job_id', '=', opts.jobId);
    const rows = await q.execute();
    const items = rows.slice(0, opts.limit).map(recordFromRow);
    return rows.length > opts.limit ? { items, next: items[items.length - 1]!.seq } : { items };
  }

  /**
   * Walks every chain (or one tenant's) from its first record: each record's hash recomputed,
   * each link to the one before, sequence numbers without gaps, and the stored head at the end.
   * Reports every break it finds, not only the first.
   */
  async verify(opts: { tenantId?: string } = {}): Promise<AuditVerification> {
    const heads = await this.db
      .selectFrom('audit_heads')
      .selectAll()
      .$if(opts.tenantId !== undefined, (q) => q.where('tenant_id', '=', opts.tenantId!))
      .orderBy('tenant_id')
      .execute();
    const result: AuditVerification = { ok: true, tenants: 0, records: 0, problems: [] };
    const problem = (p: AuditVerification['problems'][number]): void => {
      result.ok = false;
      result.problems.push(p);
    };
    // Tenants with records but no head (a head row deleted) are checked too.
    const tenantRows = await this.db
      .selectFrom('audit_log')
      .select('tenant_id')
      .distinct()
      .$if(opts.tenantId !== undefined, (q) => q.where('tenant_id', '=', opts.tenantId!))
      .execute();
    const tenants = [
      ...new Set([...heads.map((h) => h.tenant_id), ...tenantRows.map((t) => t.tenant_id)]),
    ].sort();
    for (const tenantId of tenants) {
      result.tenants++;
      let expectedSeq = 1;
      let prevHash = AUDIT_GENESIS;
      for (;;) {
        const rows = await this.db
          .selectFrom('audit_log')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('seq', '>=', expectedSeq)
          .orderBy('seq')
          .limit(VERIFY_PAGE)
          .execute();
        for (const row of rows) {
          const r = recordFromRow(row);
          result.records++;
          if (r.seq !== expectedSeq)
            problem({
              tenantId,
              seq: expectedSeq,
              problem: `records ${expectedSeq}–${r.seq - 1} are missing`,
            });
          if (r.prevHash !== prevHash)
            problem({ tenantId, seq: r.seq, problem: 'does not link to the record before it' });
          const key = r.keyId ? this.macKeys.get(r.keyId) : undefined;
          if (r.keyId && !key) {
            problem({
              tenantId,
              seq: r.seq,
              problem: `its hash is keyed with payload key "${r.keyId}", which is not configured`,
            });
          } else if (this.hashOf(r, row.detail, r.keyId) !== r.hash) {
            problem({ tenantId, seq: r.seq, problem: 'its content does not match its hash' });
          }
          expectedSeq = r.seq + 1;
          prevHash = r.hash;
        }
        if (rows.length < VERIFY_PAGE) break;
      }
      const head = heads.find((h) => h.tenant_id === tenantId);
      if (!head) problem({ tenantId, seq: expectedSeq - 1, problem: 'the chain has no head' });
      else if (Number(head.seq) !== expectedSeq - 1 || head.hash !== prevHash)
        problem({
          tenantId,
          seq: Number(head.seq),
          problem:
            Number(head.seq) > expectedSeq - 1
              ? `records ${expectedSeq}–${Number(head.seq)} at the end are missing`
              : 'the head does not match the last record',
        });
    }
    return result;
  }

  private async byKey(key: string): Promise<AuditRecord | undefined> {
    const row = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('record_key', '=', key)
      .executeTakeFirst();
    return row ? recordFromRow(row) : undefined;
  }

  /** Over every stored field, in a fixed order, and the previous record's hash. */
  private hashOf(
    r: Omit<AuditRecord, 'id' | 'hash' | 'detail'>,
    detail: string,
    keyId: string,
  ): string {
    const canonical = JSON.stringify([
      r.tenantId,
      r.seq,
      r.at,
      r.actor,
      r.action,
      r.jobId,
      detail,
      r.prevHash,
      keyId,
    ]);
    const key = keyId ? this.macKeys.get(keyId) : undefined;
    if (keyId && !key) throw new Error(`audit: payload key "${keyId}" is not configured`);
    return key
      ? createHmac('sha256', key).update(canonical).digest('hex')
      : createHash('sha256').update(canonical).digest('hex');
  }
}

/** The audit MAC key of a payload key: derived, so the payload key itself never signs records. */
function auditMacKey(key: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'keel-audit-chain-v1', 32));
}

function recordFromRow(row: Selectable<AuditTable>): AuditRecord {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    seq: Number(row.seq),
    at: Number(row.at),
    actor: row.actor,
    action: row.action,
    jobId: row.job_id,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
    keyId: row.key_id,
  };
}
