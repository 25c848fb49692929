import type { Kysely } from 'kysely';
import type { StoreSchema } from './schema';

type DeleteResults = ReadonlyArray<{ numDeletedRows: bigint }>;

/** Rows a DELETE's results count (Kysely answers one result per statement). */
export const deletedRows = (results: DeleteResults): number =>
  results.reduce((sum, r) => sum + Number(r.numDeletedRows), 0);

/**
 * Erasure (docs/governance.md#erasure): deletes every row the tenant owns — keys, budgets and
 * reservations, the usage ledger, job outcomes, events, webhooks and their deliveries, batches
 * and their items, its prompt overrides, its experiments and shadow comparisons, its drift
 * observations, its sampled evaluations — and the tenant
 * itself, in one transaction. The audit trail stays: it holds ids and verdicts, never content,
 * and records the erasure. Returns the rows deleted per table.
 */
export function eraseTenantData(
  db: Kysely<StoreSchema>,
  tenantId: string,
): Promise<Record<string, number>> {
  return db.transaction().execute(async (trx) => {
    const counts: Record<string, number> = {};
    const del = async (table: string, n: Promise<DeleteResults>) => {
      counts[table] = deletedRows(await n);
    };
    const batchIds = trx.selectFrom('batches').select('id').where('tenant_id', '=', tenantId);
    await del(
      'batch_items',
      trx.deleteFrom('batch_items').where('batch_id', 'in', batchIds).execute(),
    );
    for (const table of [
      'batches',
      'webhook_deliveries',
      'webhook_endpoints',
      'events',
      'job_outcomes',
      'usage_ledger',
      'budget_reservations',
      'budget_periods',
      'api_keys',
      // Its prompt overrides (the global rollout's tenant_id is '', never a tenant's).
      'prompt_rollouts',
      'prompt_versions',
      // Its experiments and the comparisons of its jobs (docs/experiments.md).
      'experiment_results',
      'experiments',
      // Its jobs' drift observations (numbers and enums, no content; docs/drift.md).
      'drift_observations',
      // Its debug samples (masked prompts and answers; docs/debug-samples.md).
      'debug_samples',
      // Its sampled evaluations (flags and numbers, no content; docs/evaluation.md).
      'evaluations',
      // Crypto-shredding: without its data keys, no copy of the tenant's payloads decrypts.
      'tenant_data_keys',
    ] as const) {
      await del(table, trx.deleteFrom(table).where('tenant_id', '=', tenantId).execute());
    }
    await del('tenants', trx.deleteFrom('tenants').where('id', '=', tenantId).execute());
    return counts;
  });
}
