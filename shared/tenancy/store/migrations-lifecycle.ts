import { SqliteAdapter, type Kysely, type Migration } from 'kysely';

/**
 * The model lifecycle's migrations (the prompt registry, drift detection, experiments), kept
 * beside the tenant store's others (migrations.ts, which spreads them in). Names sort in the order
 * they apply; a migration once released is never edited, a change is a new one.
 */
// Kysely<any> is the documented type for migrations: they must not depend on today's schema types.
/* eslint-disable @typescript-eslint/no-explicit-any */
export const LIFECYCLE_MIGRATIONS: Record<string, Migration> = {
  // The prompt registry (prompts.ts): versions per task, global (tenant_id null) or a tenant's
  // override, append-only; a rollout per task and scope; job outcomes name their prompt version
  // (and path, latency, re-ask) so each version's statistics come from the store.
  '0011_prompts': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('prompt_versions')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('system', 'text', (c) => c.notNull())
        .addColumn('user_template', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('prompt_versions_task')
        .on('prompt_versions')
        .columns(['task', 'seq'])
        .execute();
      await db.schema
        .createTable('prompt_rollouts')
        .addColumn('task', 'text', (c) => c.notNull())
        // '' for the global rollout, else the tenant whose override it is.
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('rollout', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('prompt_rollouts_pk', ['task', 'tenant_id'])
        .execute();
      await db.schema.alterTable('job_outcomes').addColumn('prompt_version', 'text').execute();
      await db.schema.alterTable('job_outcomes').addColumn('path', 'text').execute();
      await db.schema.alterTable('job_outcomes').addColumn('latency_ms', 'bigint').execute();
      await db.schema.alterTable('job_outcomes').addColumn('reasked', 'integer').execute();
      await db.schema
        .createIndex('job_outcomes_task_prompt')
        .on('job_outcomes')
        .columns(['task', 'prompt_version'])
        .execute();
    },
  },
  // Drift detection (drift.ts): observations read by series in id order, and each alert's state.
  '0012_drift': {
    async up(db: Kysely<any>): Promise<void> {
      const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
      await db.schema
        .createTable('drift_observations')
        .addColumn('id', sqlite ? 'integer' : 'bigserial', (c) =>
          sqlite ? c.primaryKey().autoIncrement().notNull() : c.primaryKey(),
        )
        .addColumn('series', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('prompt_version', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('validation_failed', 'integer', (c) => c.notNull())
        .addColumn('refused', 'integer', (c) => c.notNull())
        .addColumn('output_chars', 'integer')
        .addColumn('confidence', 'real')
        .addColumn('category', 'text')
        .execute();
      await db.schema
        .createIndex('drift_observations_series')
        .on('drift_observations')
        .columns(['series', 'id'])
        .execute();
      await db.schema
        .createTable('drift_alerts')
        .addColumn('series', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('prompt_version', 'text', (c) => c.notNull())
        .addColumn('firing', 'integer', (c) => c.notNull())
        .addColumn('raised_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .addColumn('raised', 'integer', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addPrimaryKeyConstraint('drift_alerts_pk', ['series', 'metric'])
        .execute();
    },
  },
  // Shadow tests (experiments.ts): experiments and one comparison row per shadowed job.
  '0014_experiments': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('experiments')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('candidate_prompt_id', 'text')
        .addColumn('candidate_route', 'text')
        .addColumn('sample_rate', 'real', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('stopped_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('experiments_task_status')
        .on('experiments')
        .columns(['task', 'status'])
        .execute();
      await db.schema
        .createTable('experiment_results')
        .addColumn('experiment_id', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('shadow_valid', 'integer', (c) => c.notNull())
        .addColumn('shadow_error', 'text')
        .addColumn('agree', 'integer')
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('diff_fields', 'text', (c) => c.notNull())
        .addColumn('live_latency_ms', 'bigint', (c) => c.notNull())
        .addColumn('shadow_latency_ms', 'bigint', (c) => c.notNull())
        .addColumn('live_cost_micros', 'bigint', (c) => c.notNull())
        .addColumn('shadow_cost_micros', 'bigint', (c) => c.notNull())
        .addColumn('shadow_provider', 'text', (c) => c.notNull())
        .addColumn('shadow_model', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('experiment_results_pk', ['experiment_id', 'job_id'])
        .execute();
      await db.schema
        .createIndex('experiment_results_tenant')
        .on('experiment_results')
        .column('tenant_id')
        .execute();
    },
  },
  // Sampled evaluation of live traffic (evaluations.ts): one row per evaluated job.
  '0015_evaluations': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('evaluations')
        .addColumn('job_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('prompt_version', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('unfaithful', 'integer')
        .addColumn('score', 'real')
        .addColumn('unsafe', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('cost_micros', 'bigint', (c) => c.notNull())
        .addColumn('verifier', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('evaluations_tenant_at')
        .on('evaluations')
        .columns(['tenant_id', 'at'])
        .execute();
    },
  },
  // Debug samples (debug-samples.ts): read per tenant newest first, pruned by expiry.
  '0016_debug_samples': {
    async up(db: Kysely<any>): Promise<void> {
      const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
      await db.schema
        .createTable('debug_samples')
        .addColumn('id', sqlite ? 'integer' : 'bigserial', (c) =>
          sqlite ? c.primaryKey().autoIncrement().notNull() : c.primaryKey(),
        )
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('prompt_version', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('latency_ms', 'bigint', (c) => c.notNull())
        .addColumn('input_tokens', 'bigint')
        .addColumn('output_tokens', 'bigint')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('debug_samples_tenant')
        .on('debug_samples')
        .columns(['tenant_id', 'id'])
        .execute();
      await db.schema
        .createIndex('debug_samples_expires')
        .on('debug_samples')
        .column('expires_at')
        .execute();
    },
  },
  // Retention of the audit trail (audit-checkpoint.ts): one signed checkpoint per tenant.
  '0017_audit_checkpoints': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('first_seq', 'bigint', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('pruned_count', 'bigint', (c) => c.notNull())
        .addColumn('pruned_before', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // Alerts on the evaluation rates (evaluations.ts, docs/evaluation.md): a series' rows in order.
  '0019_evaluations_series': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('evaluations_series')
        .on('evaluations')
        .columns(['task', 'provider', 'model', 'prompt_version', 'at', 'job_id'])
        .execute();
    },
  },
};
/* eslint-enable @typescript-eslint/no-explicit-any */
