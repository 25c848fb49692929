import type { Generated, Kysely } from 'kysely';
import type {
  DebugSamplesTable,
  DriftAlertsTable,
  DriftObservationsTable,
  EvaluationsTable,
  ExperimentResultsTable,
  ExperimentsTable,
  PromptRolloutsTable,
  PromptVersionsTable,
} from './schema-lifecycle';

/**
 * The tenant store's tables as Kysely sees them. The same columns on SQLite and PostgreSQL:
 * times are epoch milliseconds in BIGINT columns, money is integer micro-USD, JSON is TEXT and
 * booleans are 0/1 integers, so neither dialect needs a type the other lacks.
 */
export interface TenantsTable {
  id: string;
  name: string;
  plan_id: string;
  status: string;
  /** JSON object. */
  overrides: string;
  created_at: number;
  updated_at: number;
}

export interface PlansTable {
  id: string;
  /** JSON object. */
  definition: string;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  hash: string;
  /** JSON array of roles. */
  roles: string;
  env: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

/** One row per tenant and budget period: what was billed and what is held by calls in flight. */
export interface BudgetPeriodsTable {
  tenant_id: string;
  period: string;
  spent_micros: number;
  reserved_micros: number;
}

/** A model call's worst-case cost, held from before the call until it is settled or released. */
export interface BudgetReservationsTable {
  id: string;
  tenant_id: string;
  period: string;
  amount_micros: number;
  expires_at: number;
  /** The call's ledger row (JSON) for the sweep, if the caller gave one. */
  entry: string | null;
  /**
   * The call this reservation is one attempt of (`<job>/<run>/<activity>`): a later attempt
   * charges an earlier one still open as interrupted. Null for reservations made without one.
   */
  call_key: string | null;
}

export interface UsageLedgerTable {
  /** The reservation id of a settled call (so a retried settle counts once), else a fresh id. */
  id: string;
  at: number;
  /** UTC date of `at`, 'YYYY-MM-DD', written at insert so both dialects group by the same day. */
  day: string;
  tenant_id: string;
  key_id: string | null;
  job_id: string;
  task: string;
  provider: string;
  model: string;
  prompt_version: string;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_micros: number;
  outcome: string;
  /** 1: `cost_micros` is an upper bound (an interrupted call's reservation), not the vendor's bill. */
  estimated: number;
  /** The call this row is one attempt of (see `budget_reservations.call_key`), if given. */
  call_key: string | null;
}

export interface JobOutcomesTable {
  job_id: string;
  tenant_id: string;
  key_id: string | null;
  task: string;
  provider: string | null;
  model: string | null;
  /** 1 when a validated answer was returned. */
  valid: number;
  status: string;
  completed_at: number;
  day: string;
  /** The prompt version the job ran with (`classify-ticket@1`, `classify-ticket@r3`); null before 0011. */
  prompt_version: string | null;
  /** `meta.path` (primary, fallback, degraded, review, …); null before 0011. */
  path: string | null;
  /** `meta.latencyMs`; null before 0011. */
  latency_ms: number | null;
  /** 1 when a candidate's answer was re-asked; null before 0011. */
  reasked: number | null;
}

/** The event log (see events.ts): ids increase across the deployment. */
export interface EventsTable {
  id: Generated<number>;
  /** Unique: a retried write of the same event finds the first one. */
  event_key: string;
  tenant_id: string;
  /** The job or batch id the event is about. */
  subject: string;
  type: string;
  /** JSON object: ids, statuses and numbers, never a task's content. */
  data: string;
  at: number;
}

/** A tenant's webhook endpoint (see webhooks.ts). */
export interface WebhookEndpointsTable {
  id: string;
  tenant_id: string;
  url: string;
  /** JSON array of event types. */
  events: string;
  description: string;
  /** `whsec_` + base64: signs every delivery. */
  secret: string;
  /** The secret before the last rotation, still signing until `previous_expires_at`. */
  previous_secret: string | null;
  previous_expires_at: number | null;
  /** 1 = deliveries start; 0 = off (by an admin, or by the receiver answering 410 Gone). */
  enabled: number;
  /** Why it was switched off by Keel (`gone`), null when on or switched off by an admin. */
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
}

/** One event for one endpoint: its attempts so far and where it stands. */
export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  tenant_id: string;
  event_id: number;
  event_type: string;
  /** pending, delivered, failed, abandoned (the endpoint was switched off or deleted). */
  state: string;
  attempts: number;
  last_status: number | null;
  /** The last failed attempt's class: http-status, timeout, connection, dns, url-refused. */
  last_error: string | null;
  last_attempt_at: number | null;
  /** When the next attempt is due (an estimate from the retry policy); null when none is. */
  next_attempt_at: number | null;
  delivered_at: number | null;
  /** Manual redeliveries so far (each a workflow of its own). */
  redeliveries: number;
  created_at: number;
}

/** A batch's header (batches.ts); written once its items are all stored. */
export interface BatchesTable {
  id: string;
  tenant_id: string;
  task: string;
  /** JSON: the options every item runs with. */
  options: string;
  total: number;
  /** Items refused at submission (stored as failed, never run). */
  invalid: number;
  status: string;
  /** SHA-256 of task, options and items: an idempotent retry must ask the same. */
  fingerprint: string;
  created_at: number;
  finished_at: number | null;
  /** When the last `batch.progress` event was written (its throttle). */
  progress_at: Generated<number>;
}

/** One item of a batch, by index: its job id, its input, its outcome. */
export interface BatchItemsTable {
  batch_id: string;
  idx: number;
  job_id: string;
  /** JSON; null for an item refused at submission. */
  input: string | null;
  status: string;
  /** JSON ItemProblem of a failed item. */
  problem: string | null;
  cost_micros: Generated<number>;
  finished_at: number | null;
}

/** One record of the audit trail (audit.ts): a link in its tenant's hash chain. */
export interface AuditTable {
  id: Generated<number>;
  /** Idempotency key of the append. */
  record_key: string;
  tenant_id: string;
  seq: number;
  at: number;
  actor: string;
  action: string;
  job_id: string | null;
  /** JSON, hashed as stored. */
  detail: string;
  prev_hash: string;
  hash: string;
  /** The payload key the hash is keyed with ('' when unkeyed). */
  key_id: string;
}

/** The last record of each tenant's audit chain (a deleted tail is found by it). */
export interface AuditHeadsTable {
  tenant_id: string;
  seq: number;
  hash: string;
}

/** What retention pruned from the front of a tenant's audit chain (audit-checkpoint.ts). */
export interface AuditCheckpointsTable {
  tenant_id: string;
  first_seq: number;
  prev_hash: string;
  pruned_count: number;
  pruned_before: number;
  at: number;
  key_id: string;
  mac: string;
}

/**
 * One running Keel process's dashboard metrics (metric-shares.ts, docs/dashboard.md): counters
 * and the request histogram without tenant labels, rewritten every KEEL_METRICS_SHARE_MS.
 */
export interface MetricSharesTable {
  /** A random id the process drew at start (a restart is a new process). */
  process_id: string;
  /** `api`, `api+worker` (the worker inside the API) or `worker`. */
  role: string;
  started_at: number;
  updated_at: number;
  /** JSON: prom-client's `getMetricsAsJSON()`, filtered to the dashboard's metrics and labels. */
  body: string;
}

/** A tenant's data key, one row per version (data-keys.ts). */
export interface TenantDataKeysTable {
  tenant_id: string;
  version: number;
  /** The key sealed under the payload keys (`sealed:v1:<key id>:…`). */
  sealed: string;
  created_at: number;
}

export interface StoreSchema {
  tenants: TenantsTable;
  plans: PlansTable;
  api_keys: ApiKeysTable;
  budget_periods: BudgetPeriodsTable;
  budget_reservations: BudgetReservationsTable;
  usage_ledger: UsageLedgerTable;
  job_outcomes: JobOutcomesTable;
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  batches: BatchesTable;
  batch_items: BatchItemsTable;
  audit_log: AuditTable;
  audit_heads: AuditHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  tenant_data_keys: TenantDataKeysTable;
  drift_observations: DriftObservationsTable;
  drift_alerts: DriftAlertsTable;
  prompt_versions: PromptVersionsTable;
  prompt_rollouts: PromptRolloutsTable;
  experiments: ExperimentsTable;
  experiment_results: ExperimentResultsTable;
  debug_samples: DebugSamplesTable;
  evaluations: EvaluationsTable;
  metric_shares: MetricSharesTable;
}

/** A table and its columns as the database reports them. */
export interface TableShape {
  table: string;
  columns: Array<{ name: string; nullable: boolean }>;
}

/** Tables and columns as the database reports them, sorted (the dialects are compared in tests). */
export async function describeSchema(db: Kysely<StoreSchema>): Promise<TableShape[]> {
  const tables = await db.introspection.getTables();
  return tables
    .map((t) => ({
      table: t.name,
      columns: t.columns
        .map((c) => ({ name: c.name, nullable: c.isNullable }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    }))
    .sort((a, b) => a.table.localeCompare(b.table));
}
