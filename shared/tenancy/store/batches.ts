import type { Kysely } from 'kysely';
import {
  BATCH_ITEM_STATUSES,
  BatchItemStatus,
  type BatchCounts,
  type BatchItemOutcome,
  type BatchItemToRun,
  type BatchOptions,
  type BatchStatus,
  type ItemProblem,
} from '../../contracts/batch';
import type { StoreSchema } from './schema';

/** A batch as stored: its header. */
export interface BatchRecord {
  id: string;
  tenantId: string;
  task: string;
  options: BatchOptions;
  total: number;
  invalid: number;
  status: BatchStatus;
  fingerprint: string;
  createdAt: number;
  finishedAt?: number;
}

/** An item as submitted: valid (an input) or refused (a problem, never run). */
export type NewBatchItem = { index: number; jobId: string } & (
  { input: unknown } | { problem: ItemProblem }
);

/** An item as `GET /v1/batches/{id}/results` lists it. */
export interface BatchItemRecord {
  index: number;
  jobId: string;
  status: BatchItemStatus;
  problem?: ItemProblem;
}

/** Rows per INSERT: 8 columns × 250 stays under every dialect's parameter limit. */
const INSERT_CHUNK = 250;

/**
 * Batches and their items. The API writes a batch (items first, the header last: a batch without
 * its header is not there), the parent workflow's activities load items and record outcomes, and
 * the API reads counts and results. Every write is idempotent: an activity that retries, or a
 * submission retried with its Idempotency-Key, changes nothing twice.
 */
export class BatchStore {
  constructor(private readonly db: Kysely<StoreSchema>) {}

  /** Stores items (a retried write of the same index keeps the first). */
  async insertItems(batchId: string, items: readonly NewBatchItem[]): Promise<void> {
    for (let at = 0; at < items.length; at += INSERT_CHUNK) {
      const rows = items.slice(at, at + INSERT_CHUNK).map((item) => ({
        batch_id: batchId,
        idx: item.index,
        job_id: item.jobId,
        input: 'input' in item ? JSON.stringify(item.input) : null,
        status: 'input' in item ? BatchItemStatus.pending : BatchItemStatus.failed,
        problem: 'problem' in item ? JSON.stringify(item.problem) : null,
        finished_at: null,
      }));
      await this.db
        .insertInto('batch_items')
        .values(rows)
        .onConflict((oc) => oc.columns(['batch_id', 'idx']).doNothing())
        .execute();
    }
  }

  /** Items of a submission that never got its header (refused, or cut off). */
  async discardItems(batchId: string): Promise<void> {
    const header = await this.get(batchId);
    if (header) return;
    await this.db.deleteFrom('batch_items').where('batch_id', '=', batchId).execute();
  }

  /** Writes the header: the batch exists from now on. False when one with this id exists. */
  async create(batch: Omit<BatchRecord, 'status' | 'finishedAt'>): Promise<boolean> {
    const inserted = await this.db
      .insertInto('batches')
      .values({
        id: batch.id,
        tenant_id: batch.tenantId,
        task: batch.task,
        options: JSON.stringify(batch.options),
        total: batch.total,
        invalid: batch.invalid,
        status: 'running',
        fingerprint: batch.fingerprint,
        created_at: batch.createdAt,
        finished_at: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async get(batchId: string): Promise<BatchRecord | undefined> {
    const row = await this.db
      .selectFrom('batches')
      .selectAll()
      .where('id', '=', batchId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      tenantId: row.tenant_id,
      task: row.task,
      options: JSON.parse(row.options) as BatchOptions,
      total: Number(row.total),
      invalid: Number(row.invalid),
      status: row.status as BatchStatus,
      fingerprint: row.fingerprint,
      createdAt: Number(row.created_at),
      ...(row.finished_at === null ? {} : { finishedAt: Number(row.finished_at) }),
    };
  }

  /** Items by status, what the finished ones cost, and when the last one finished. */
  async counts(
    batchId: string,
  ): Promise<{ counts: BatchCounts; costMicros: number; lastFinishedAt?: number }> {
    const rows = await this.db
      .selectFrom('batch_items')
      .select((eb) => [
        'status',
        eb.fn.countAll<number>().as('n'),
        eb.fn.sum<number>('cost_micros').as('cost'),
        eb.fn.max('finished_at').as('last'),
      ])
      .where('batch_id', '=', batchId)
      .groupBy('status')
      .execute();
    const counts = Object.fromEntries(BATCH_ITEM_STATUSES.map((s) => [s, 0])) as BatchCounts;
    let costMicros = 0;
    let last: number | undefined;
    for (const row of rows) {
      counts[row.status as BatchItemStatus] = Number(row.n);
      costMicros += Number(row.cost ?? 0);
      if (row.last !== null) last = Math.max(last ?? 0, Number(row.last));
    }
    return { counts, costMicros, ...(last === undefined ? {} : { lastFinishedAt: last }) };
  }

  /**
   * The items of `[from, to)` still to run, marked running. An item that has ended (recorded
   * before a worker died, or refused at submission) is not run again.
   */
  async loadForRun(batchId: string, from: number, to: number): Promise<BatchItemToRun[]> {
    const rows = await this.db
      .selectFrom('batch_items')
      .select(['idx', 'job_id', 'input'])
      .where('batch_id', '=', batchId)
      .where('idx', '>=', from)
      .where('idx', '<', to)
      .where('status', 'in', [BatchItemStatus.pending, BatchItemStatus.running])
      .orderBy('idx')
      .execute();
    if (rows.length === 0) return [];
    await this.db
      .updateTable('batch_items')
      .set({ status: BatchItemStatus.running })
      .where('batch_id', '=', batchId)
      .where('idx', '>=', from)
      .where('idx', '<', to)
      .where('status', '=', BatchItemStatus.pending)
      .execute();
    return rows.map((r) => ({
      index: Number(r.idx),
      jobId: r.job_id,
      input: JSON.parse(r.input ?? 'null') as unknown,
    }));
  }

  /** Records items' outcomes (the same outcome recorded again changes nothing). */
  async recordOutcomes(
    batchId: string,
    outcomes: readonly BatchItemOutcome[],
    now: number,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const o of outcomes) {
        await tx
          .updateTable('batch_items')
          .set({
            status: o.status,
            cost_micros: o.costMicros,
            problem: o.problem ? JSON.stringify(o.problem) : null,
            finished_at: now,
          })
          .where('batch_id', '=', batchId)
          .where('idx', '=', o.index)
          .execute();
      }
    });
  }

  /**
   * Whether a progress event is due: true (and the clock moved) when the last one is at least
   * `minGapMs` old. One writer wins however many workers ask at once.
   */
  async claimProgress(batchId: string, now: number, minGapMs: number): Promise<boolean> {
    const updated = await this.db
      .updateTable('batches')
      .set({ progress_at: now })
      .where('id', '=', batchId)
      .where('progress_at', '<=', now - minGapMs)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) > 0;
  }

  /**
   * Ends the batch: `cancelled` turns every item without an outcome into a cancelled one. False
   * when it had already ended (a retried activity).
   */
  async finish(batchId: string, status: BatchStatus, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      if (status === 'cancelled') {
        await tx
          .updateTable('batch_items')
          .set({ status: BatchItemStatus.cancelled, finished_at: now })
          .where('batch_id', '=', batchId)
          .where('status', 'in', [BatchItemStatus.pending, BatchItemStatus.running])
          .execute();
      }
      const updated = await tx
        .updateTable('batches')
        .set({ status, finished_at: now })
        .where('id', '=', batchId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0;
    });
  }

  /** Items after `afterIndex`, in order: a page of the results. */
  async items(batchId: string, afterIndex: number, limit: number): Promise<BatchItemRecord[]> {
    const rows = await this.db
      .selectFrom('batch_items')
      .select(['idx', 'job_id', 'status', 'problem'])
      .where('batch_id', '=', batchId)
      .where('idx', '>', afterIndex)
      .orderBy('idx')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      index: Number(r.idx),
      jobId: r.job_id,
      status: r.status as BatchItemStatus,
      ...(r.problem === null ? {} : { problem: JSON.parse(r.problem) as ItemProblem }),
    }));
  }
}
