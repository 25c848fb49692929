import {
  Migrator,
  SqliteAdapter,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
} from 'kysely';
import { LIFECYCLE_MIGRATIONS } from './migrations-lifecycle';

/**
 * The tenant store's migrations, in code so they ship inside the build. Names sort in the order
 * they apply; a migration once released is never edited, a change is a new one.
 */
// Kysely<any> is the documented type for migrations: they must not depend on today's schema types.
/* eslint-disable @typescript-eslint/no-explicit-any */
const migrations: Record<string, Migration> = {
  '0001_tenancy': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('plan_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('overrides', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('plans')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      // The lookup of every request: one probe of a unique index, whatever the number of keys.
      await db.schema.createIndex('api_keys_hash').on('api_keys').column('hash').unique().execute();
      await db.schema
        .createIndex('api_keys_tenant')
        .on('api_keys')
        .columns(['tenant_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('budget_periods')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('spent_micros', 'bigint', (c) => c.notNull())
        .addColumn('reserved_micros', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('budget_periods_pk', ['tenant_id', 'period'])
        .execute();

      await db.schema
        .createTable('budget_reservations')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('amount_micros', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('budget_reservations_expires')
        .on('budget_reservations')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('usage_ledger')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text')
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('prompt_version', 'text', (c) => c.notNull())
        .addColumn('input_tokens', 'bigint', (c) => c.notNull())
        .addColumn('output_tokens', 'bigint', (c) => c.notNull())
        .addColumn('cached_input_tokens', 'bigint', (c) => c.notNull())
        .addColumn('cost_micros', 'bigint', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('usage_ledger_tenant_at')
        .on('usage_ledger')
        .columns(['tenant_id', 'at'])
        .execute();
      // The operator's report over all tenants ranges over `at` alone.
      await db.schema.createIndex('usage_ledger_at').on('usage_ledger').column('at').execute();

      await db.schema
        .createTable('job_outcomes')
        .addColumn('job_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text')
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('provider', 'text')
        .addColumn('model', 'text')
        .addColumn('valid', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'bigint', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('job_outcomes_tenant_completed')
        .on('job_outcomes')
        .columns(['tenant_id', 'completed_at'])
        .execute();
      await db.schema
        .createIndex('job_outcomes_completed')
        .on('job_outcomes')
        .column('completed_at')
        .execute();
    },
  },
  // A reservation carries the ledger row of its call, written by the sweep when the call's
  // process died before settling it (outcome `interrupted`): such calls are counted, not lost.
  '0002_reservation_entry': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('budget_reservations').addColumn('entry', 'text').execute();
    },
  },
  // A call cut off mid-call is charged its reservation's worst case, flagged as an estimate
  // (`estimated` 1): an upper bound of what the vendor billed. A reservation names its call
  // (`call_key`: job, run, activity) so the call's retry finds and charges its predecessor.
  '0003_interrupted_estimate': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('usage_ledger')
        .addColumn('estimated', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('budget_reservations').addColumn('call_key', 'text').execute();
      await db.schema
        .createIndex('budget_reservations_call')
        .on('budget_reservations')
        .column('call_key')
        .execute();
    },
  },
  // A ledger row names its call too: a retry finds its predecessors whose answer was billed but
  // never reached the workflow (the worker died after settling), and reports them in the job.
  '0004_ledger_call_key': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('usage_ledger').addColumn('call_key', 'text').execute();
      await db.schema
        .createIndex('usage_ledger_call')
        .on('usage_ledger')
        .column('call_key')
        .execute();
    },
  },
  // The event log behind SSE streams and webhooks: ids increase across the deployment.
  '0005_events': {
    async up(db: Kysely<any>): Promise<void> {
      const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
      await db.schema
        .createTable('events')
        .addColumn('id', sqlite ? 'integer' : 'bigserial', (c) =>
          sqlite ? c.primaryKey().autoIncrement().notNull() : c.primaryKey(),
        )
        .addColumn('event_key', 'text', (c) => c.notNull().unique())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('events_subject')
        .on('events')
        .columns(['subject', 'id'])
        .execute();
    },
  },
  // Webhooks: each tenant's endpoints and, per endpoint and event, one delivery with its attempts.
  '0006_webhooks': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('previous_secret', 'text')
        .addColumn('previous_expires_at', 'bigint')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('disabled_reason', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('webhook_endpoints_tenant')
        .on('webhook_endpoints')
        .columns(['tenant_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'bigint', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_attempt_at', 'bigint')
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('delivered_at', 'bigint')
        .addColumn('redeliveries', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // One delivery per endpoint and event: a sink told twice of an event finds the first.
      await db.schema
        .createIndex('webhook_deliveries_endpoint_event')
        .on('webhook_deliveries')
        .columns(['endpoint_id', 'event_id'])
        .unique()
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_endpoint_created')
        .on('webhook_deliveries')
        .columns(['endpoint_id', 'created_at'])
        .execute();
    },
  },
  // Batches (store.batches, batches.ts): a header per batch and one row per item, in order.
  '0007_batches': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('batches')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('invalid', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('progress_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('batch_items')
        .addColumn('batch_id', 'text', (c) => c.notNull())
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('input', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('problem', 'text')
        .addColumn('cost_micros', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('finished_at', 'bigint')
        .addPrimaryKeyConstraint('batch_items_pk', ['batch_id', 'idx'])
        .execute();
    },
  },
  // The audit trail (audit.ts): one hash chain per tenant, and the head of each chain.
  '0008_audit': {
    async up(db: Kysely<any>): Promise<void> {
      const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
      await db.schema
        .createTable('audit_log')
        .addColumn('id', sqlite ? 'integer' : 'bigserial', (c) =>
          sqlite ? c.primaryKey().autoIncrement().notNull() : c.primaryKey(),
        )
        .addColumn('record_key', 'text', (c) => c.notNull().unique())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .execute();
      // One record per place in a chain: two writers can never fork it.
      await db.schema
        .createIndex('audit_log_tenant_seq')
        .on('audit_log')
        .columns(['tenant_id', 'seq'])
        .unique()
        .execute();
      await db.schema.createIndex('audit_log_job').on('audit_log').columns(['job_id']).execute();
      await db.schema
        .createTable('audit_heads')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // Retention (retention.ts) prunes each tenant's rows by time: indexes so it reads only those.
  '0009_retention': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('events_tenant_at')
        .on('events')
        .columns(['tenant_id', 'at'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_tenant_created')
        .on('webhook_deliveries')
        .columns(['tenant_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('batches_tenant_finished')
        .on('batches')
        .columns(['tenant_id', 'finished_at'])
        .execute();
    },
  },
  // Per-tenant data keys, sealed under the payload keys (data-keys.ts); erasure deletes them.
  '0010_tenant_data_keys': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('tenant_data_keys')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('tenant_data_keys_pk', ['tenant_id', 'version'])
        .execute();
    },
  },
  ...LIFECYCLE_MIGRATIONS,
  // Each process's dashboard metrics (metric-shares.ts): one row per running process.
  '0018_metric_shares': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('metric_shares')
        .addColumn('process_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
/* eslint-enable @typescript-eslint/no-explicit-any */

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

/** Table names of the Migrator's own bookkeeping, kept apart from other Kysely users of the database. */
export const MIGRATION_TABLE = 'keel_tenancy_migration';
export const MIGRATION_LOCK_TABLE = 'keel_tenancy_migration_lock';

/** Applies the pending migrations (under the Migrator's lock: safe from several processes). */
export function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationResultSet> {
  return new Migrator({
    db,
    provider: migrationProvider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  }).migrateToLatest();
}
