import { createHash, createHmac, hkdfSync } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { PayloadKey } from '../../platform/payload-codec';
import { CheckpointSigner, checkpointFromRow, checkpointRow } from './audit-checkpoint';
import { deletedRows } from './erasure';
import type { AuditTable, StoreSchema } from './schema';
import {
  AUDIT_GENESIS,
  type AuditPage,
  type AuditProblem,
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
  private readonly signer: CheckpointSigner;

  constructor(
    private readonly db: Kysely<StoreSchema>,
    keys: readonly PayloadKey[] = [],
  ) {
    this.macKeys = new Map(keys.map((k) => [k.id, auditMacKey(k.key)]));
    this.primaryKeyId = keys[0]?.id ?? '';
    this.signer = new CheckpointSigner(keys);
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
    const checkpoints = new Map(
      (
        await this.db
          .selectFrom('audit_checkpoints')
          .selectAll()
          .$if(opts.tenantId !== undefined, (q) => q.where('tenant_id', '=', opts.tenantId!))
          .execute()
      ).map((row) => [row.tenant_id, checkpointFromRow(row)]),
    );
    const tenants = [
      ...new Set([
        ...heads.map((h) => h.tenant_id),
        ...tenantRows.map((t) => t.tenant_id),
        ...checkpoints.keys(),
      ]),
    ].sort();
    for (const tenantId of tenants) {
      result.tenants++;
      let expectedSeq = 1;
      let prevHash = AUDIT_GENESIS;
      const checkpoint = checkpoints.get(tenantId);
      if (checkpoint) {
        // Retention pruned the front: the chain starts where the checkpoint says, if it is signed.
        const broken = this.signer.problemWith(checkpoint);
        if (broken) problem({ tenantId, seq: checkpoint.firstSeq, problem: broken });
        expectedSeq = checkpoint.firstSeq;
        prevHash = checkpoint.prevHash;
      }
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
          result.records++;
          for (const p of this.checkRow(row, expectedSeq, prevHash)) problem(p);
          expectedSeq = Number(row.seq) + 1;
          prevHash = row.hash;
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

  /**
   * Retention (docs/audit.md#checkpoints), inside the caller's transaction `trx`: deletes the front
   * of the tenant's chain, records from the first kept through the last one dated before `before`
   * (never the newest: the head still links to a record), and writes its signed checkpoint in
   * their place, the count accumulated. The records to go are verified first: a chain already
   * broken there is left whole for `verify` to report, never sealed over by a checkpoint. Without
   * payload keys nothing is pruned: an unsigned checkpoint would let anyone hide deleted records.
   * Returns the records deleted.
   */
  async pruneBefore(
    trx: Kysely<StoreSchema>,
    tenantId: string,
    before: number,
    now: number,
  ): Promise<number> {
    if (!this.signer.primaryKeyId) return 0;
    // Takes the head row's lock (PostgreSQL) as an append does: no append interleaves.
    const head = await trx
      .updateTable('audit_heads')
      .set((eb) => ({ seq: eb.ref('seq') }))
      .where('tenant_id', '=', tenantId)
      .returning(['seq', 'hash'])
      .executeTakeFirst();
    if (!head) return 0;
    const last = Number(head.seq);
    const newest = await trx
      .selectFrom('audit_log')
      .select('hash')
      .where('tenant_id', '=', tenantId)
      .where('seq', '=', last)
      .executeTakeFirst();
    if (newest?.hash !== head.hash) return 0; // a broken tail: left for verify to report
    const row = await trx
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    const previous = row ? checkpointFromRow(row) : undefined;
    if (previous && this.signer.problemWith(previous)) return 0;
    const first = previous?.firstSeq ?? 1;
    let expectedSeq = first;
    let prevHash = previous?.prevHash ?? AUDIT_GENESIS;
    for (let more = true; more;) {
      const rows = await trx
        .selectFrom('audit_log')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('seq', '>=', expectedSeq)
        .where('seq', '<', last)
        .orderBy('seq')
        .limit(VERIFY_PAGE)
        .execute();
      more = rows.length === VERIFY_PAGE;
      for (const r of rows) {
        if (Number(r.at) >= before) {
          more = false;
          break;
        }
        if (this.checkRow(r, expectedSeq, prevHash).length > 0) return 0;
        expectedSeq = Number(r.seq) + 1;
        prevHash = r.hash;
      }
    }
    if (expectedSeq === first) return 0;
    const deleted = deletedRows(
      await trx
        .deleteFrom('audit_log')
        .where('tenant_id', '=', tenantId)
        .where('seq', '<', expectedSeq)
        .execute(),
    );
    const checkpoint = checkpointRow(
      this.signer.sign({
        tenantId,
        firstSeq: expectedSeq,
        prevHash,
        prunedCount: expectedSeq - 1,
        prunedBefore: before,
        at: now,
      }),
    );
    const { tenant_id: _, ...update } = checkpoint;
    await trx
      .insertInto('audit_checkpoints')
      .values(checkpoint)
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(update))
      .execute();
    return deleted;
  }

  /** What is wrong with one stored record, expected at `expectedSeq` after `prevHash`. */
  private checkRow(
    row: Selectable<AuditTable>,
    expectedSeq: number,
    prevHash: string,
  ): AuditProblem[] {
    const r = recordFromRow(row);
    const { tenantId } = r;
    const problems: AuditProblem[] = [];
    if (r.seq !== expectedSeq)
      problems.push({
        tenantId,
        seq: expectedSeq,
        problem: `records ${expectedSeq}–${r.seq - 1} are missing`,
      });
    if (r.prevHash !== prevHash)
      problems.push({ tenantId, seq: r.seq, problem: 'does not link to the record before it' });
    if (r.keyId && !this.macKeys.has(r.keyId)) {
      problems.push({
        tenantId,
        seq: r.seq,
        problem: `its hash is keyed with payload key "${r.keyId}", which is not configured`,
      });
    } else if (this.hashOf(r, row.detail, r.keyId) !== r.hash) {
      problems.push({ tenantId, seq: r.seq, problem: 'its content does not match its hash' });
    }
    return problems;
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
