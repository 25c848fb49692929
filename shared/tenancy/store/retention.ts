import type { Kysely } from 'kysely';
import { JOB_END_EVENTS, type EventType } from '../../contracts/events';
import type { AuditLog } from './audit';
import { deletedRows } from './erasure';
import type { StoreSchema } from './schema';

/** Events after which a subject (a job, a batch) has ended: its events may be pruned. */
const END_EVENTS: readonly EventType[] = [...JOB_END_EVENTS, 'batch.completed'];

/** The tables a retention run prunes, in the order it prunes them. */
export const PRUNED_TABLES = [
  'usage_ledger',
  'job_outcomes',
  'events',
  'webhook_deliveries',
  'batch_items',
  'batches',
  'drift_observations',
  'evaluations',
  'audit_records',
] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

/**
 * Retention (docs/governance.md#retention): the tenant's rows from before `before` (epoch ms), in
 * one transaction, counted per table:
 *
 * - usage ledger rows (`at`) and job outcomes (`completed_at`);
 * - events of subjects that ended before it (a job's `job.completed`/`failed`/`cancelled`, a
 *   batch's `batch.completed`) and tenant-wide events (`budget.threshold`), by `at`: a job still
 *   running keeps its whole stream;
 * - webhook deliveries created before it that are no longer pending;
 * - batches that finished before it, with their items;
 * - drift observations (`at`): a drift window older than the tenant's retention loses its jobs;
 * - sampled evaluations (`at`);
 * - the front of its audit trail (`at`), with `audit` (AuditLog.pruneBefore: a signed checkpoint
 *   in its place; nothing without payload keys).
 *
 * Keys, budgets and reservations, webhook endpoints and the tenant itself stay.
 */
export function pruneTenantData(
  db: Kysely<StoreSchema>,
  tenantId: string,
  before: number,
  audit?: Pick<AuditLog, 'pruneBefore'>,
): Promise<Record<PrunedTable, number>> {
  return db.transaction().execute(async (trx) => {
    const ended = trx
      .selectFrom('events')
      .select('subject')
      .where('tenant_id', '=', tenantId)
      .where('type', 'in', END_EVENTS)
      .where('at', '<', before);
    const finished = trx
      .selectFrom('batches')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('finished_at', 'is not', null)
      .where('finished_at', '<', before);
    // The tables whose rows are dated by `at` alone.
    const datedBefore = async (
      table: 'usage_ledger' | 'drift_observations' | 'evaluations',
    ): Promise<number> =>
      deletedRows(
        await trx
          .deleteFrom(table)
          .where('tenant_id', '=', tenantId)
          .where('at', '<', before)
          .execute(),
      );
    return {
      usage_ledger: await datedBefore('usage_ledger'),
      job_outcomes: deletedRows(
        await trx
          .deleteFrom('job_outcomes')
          .where('tenant_id', '=', tenantId)
          .where('completed_at', '<', before)
          .execute(),
      ),
      events: deletedRows(
        await trx
          .deleteFrom('events')
          .where('tenant_id', '=', tenantId)
          .where('at', '<', before)
          .where((eb) => eb.or([eb('subject', '=', tenantId), eb('subject', 'in', ended)]))
          .execute(),
      ),
      webhook_deliveries: deletedRows(
        await trx
          .deleteFrom('webhook_deliveries')
          .where('tenant_id', '=', tenantId)
          .where('created_at', '<', before)
          .where('state', '!=', 'pending')
          .execute(),
      ),
      batch_items: deletedRows(
        await trx.deleteFrom('batch_items').where('batch_id', 'in', finished).execute(),
      ),
      batches: deletedRows(await trx.deleteFrom('batches').where('id', 'in', finished).execute()),
      drift_observations: await datedBefore('drift_observations'),
      evaluations: await datedBefore('evaluations'),
      audit_records: audit ? await audit.pruneBefore(trx, tenantId, before, Date.now()) : 0,
    };
  });
}
