import { Kysely } from 'kysely';
import type { PayloadKey } from '../../platform/payload-codec';
import { AuditLog } from './audit';
import * as budget from './budget';
import { BatchStore } from './batches';
import { eraseTenantData } from './erasure';
import { EventLog } from './events';
import { WebhookStore } from './webhooks';
import { postgresDialect, sqliteDialect } from './dialects';
import { migrateToLatest } from './migrations';
import {
  keyAndTenantFromRow,
  keyFromRow,
  keyToRow,
  planFromRow,
  TENANT_JOIN_COLUMNS,
  tenantFromRow,
  tenantToRow,
} from './rows';
import { describeSchema, type StoreSchema, type TableShape } from './schema';
import {
  DuplicateError,
  TenantStoreOpenError,
  type ApiKeyRecord,
  type BudgetState,
  type CallLedgerRow,
  type InterruptedCall,
  type JobOutcome,
  type LedgerEntry,
  type NewTenant,
  type PlanRecord,
  type ReserveBudget,
  type ReserveResult,
  type SettleBudget,
  type TenantPatch,
  type TenantRecord,
  type UsageQuery,
  type UsageRow,
} from './types';
import { pruneTenantData, type PrunedTable } from './retention';
import { recordJobOutcome, usage } from './usage';
import { DataKeyStore } from './data-keys';
import { DriftStore } from './drift';
import { ExperimentStore } from './experiments';
import { EvaluationStore } from './evaluations';
import { PromptStore } from './prompts';
import { DebugSampleStore } from './debug-samples';
import { MetricShareStore } from './metric-shares';

export interface OpenTenantStore {
  /** A PostgreSQL URL (`postgres://user:pass@host:port/db`); wins over `sqlitePath`. */
  url?: string;
  /** The SQLite file, created with its folder if missing (Keel passes `<dataDir>/keel.db`). */
  sqlitePath?: string;
  /** PostgreSQL pool size. @default 10 */
  maxConnections?: number;
  /** Told when an idle PostgreSQL connection fails (the pool replaces it). @default ignored */
  onConnectionError?: (err: Error) => void;
  /** Payload keys: they seal webhook secrets and debug samples, and key the audit chain's hashes. */
  secretKeys?: readonly PayloadKey[];
}

/**
 * Tenants, keys, plans, budgets and usage in SQLite or PostgreSQL, one schema and one set of
 * queries for both. Shared by every API and worker process; anything that must hold across them
 * (a unique key hash, a budget that never overshoots) is enforced by the database.
 */
export class TenantStore {
  readonly events: EventLog; // the event log (SSE streams, webhooks)
  readonly webhooks: WebhookStore; // webhook endpoints and their deliveries
  readonly batches: BatchStore; // batches and their items (POST /v1/batches)
  readonly audit: AuditLog; // a hash chain per tenant (docs/audit.md)
  readonly dataKeys: DataKeyStore; // tenants' data keys, sealed (docs/encryption.md)
  readonly drift: DriftStore; // drift observations and alerts (docs/drift.md)
  readonly prompts: PromptStore; // prompt versions and rollouts (docs/prompt-registry.md)
  readonly experiments: ExperimentStore; // shadow tests (docs/experiments.md)
  readonly debugSamples: DebugSampleStore; // masked prompts and answers (docs/debug-samples.md)
  readonly evaluations: EvaluationStore; // sampled live evaluation (docs/evaluation.md)
  readonly metricShares: MetricShareStore; // each process's dashboard metrics (docs/dashboard.md)

  private constructor(
    private readonly db: Kysely<StoreSchema>,
    readonly dialect: 'sqlite' | 'postgres',
    secretKeys?: readonly PayloadKey[],
  ) {
    this.events = new EventLog(db);
    this.webhooks = new WebhookStore(db, secretKeys);
    this.batches = new BatchStore(db);
    this.audit = new AuditLog(db, secretKeys);
    this.dataKeys = new DataKeyStore(db, secretKeys ?? []);
    this.drift = new DriftStore(db);
    this.prompts = new PromptStore(db);
    this.experiments = new ExperimentStore(db);
    this.debugSamples = new DebugSampleStore(db, secretKeys);
    this.evaluations = new EvaluationStore(db);
    this.metricShares = new MetricShareStore(db);
  }

  /** Opens the database and applies pending migrations; safe from several processes at once. */
  static async open(opts: OpenTenantStore): Promise<TenantStore> {
    if (opts.url !== undefined && !/^postgres(ql)?:\/\//.test(opts.url))
      throw new TenantStoreOpenError(
        'the database URL must start with postgres:// or postgresql://',
      );
    if (opts.url === undefined && !opts.sqlitePath)
      throw new TenantStoreOpenError(
        'the tenant store needs a PostgreSQL URL or a SQLite file path',
      );
    const db = new Kysely<StoreSchema>({
      dialect: opts.url
        ? postgresDialect(opts.url, opts.maxConnections, opts.onConnectionError)
        : sqliteDialect(opts.sqlitePath!),
    });
    const { error } = await migrateToLatest(db);
    if (error) {
      await db.destroy();
      throw new TenantStoreOpenError(
        `tenant store migrations failed: ${error instanceof Error ? error.message : 'unknown error'}`,
        { cause: error },
      );
    }
    return new TenantStore(db, opts.url ? 'postgres' : 'sqlite', opts.secretKeys);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  // ---- tenants

  async createTenant(t: NewTenant, now: number): Promise<TenantRecord> {
    const record: TenantRecord = { ...t, createdAt: now, updatedAt: now };
    const inserted = await this.db
      .insertInto('tenants')
      .values(tenantToRow(record))
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) throw new DuplicateError('id', 'tenant');
    return tenantFromRow(inserted);
  }

  /** Creates the tenant if missing; an existing one is returned as it is (admin changes stay). */
  async upsertTenant(
    t: NewTenant,
    now: number,
  ): Promise<{ tenant: TenantRecord; created: boolean }> {
    const inserted = await this.db
      .insertInto('tenants')
      .values(tenantToRow({ ...t, createdAt: now, updatedAt: now }))
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { tenant: tenantFromRow(inserted), created: true };
    const existing = await this.getTenant(t.id);
    if (!existing) throw new Error(`tenant ${t.id} vanished while being seeded`);
    return { tenant: existing, created: false };
  }

  async getTenant(id: string): Promise<TenantRecord | undefined> {
    const row = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && tenantFromRow(row);
  }

  /** Ordered by id; pass the last id of a page as `after` for the next one. */
  async listTenants(opts: { limit: number; after?: string }): Promise<TenantRecord[]> {
    const rows = await this.db
      .selectFrom('tenants')
      .selectAll()
      .$if(opts.after !== undefined, (qb) => qb.where('id', '>', opts.after!))
      .orderBy('id')
      .limit(opts.limit)
      .execute();
    return rows.map(tenantFromRow);
  }

  async updateTenant(
    id: string,
    patch: TenantPatch,
    now: number,
  ): Promise<TenantRecord | undefined> {
    const row = await this.db
      .updateTable('tenants')
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.planId !== undefined && { plan_id: patch.planId }),
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.overrides !== undefined && { overrides: JSON.stringify(patch.overrides) }),
        updated_at: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && tenantFromRow(row);
  }

  /** Erasure: every row the tenant owns, in one transaction (erasure.ts). */
  eraseTenantData(tenantId: string): Promise<Record<string, number>> {
    return eraseTenantData(this.db, tenantId);
  }

  /** Retention: the tenant's rows of what ended before `before`, per table (retention.ts). */
  pruneTenantData(tenantId: string, before: number): Promise<Record<PrunedTable, number>> {
    return pruneTenantData(this.db, tenantId, before, this.audit);
  }

  // ---- plans

  async upsertPlan(p: PlanRecord): Promise<void> {
    const definition = JSON.stringify(p.definition);
    await this.db
      .insertInto('plans')
      .values({ id: p.id, definition, updated_at: p.updatedAt })
      .onConflict((oc) => oc.column('id').doUpdateSet({ definition, updated_at: p.updatedAt }))
      .execute();
  }

  async getPlan(id: string): Promise<PlanRecord | undefined> {
    const row = await this.db
      .selectFrom('plans')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && planFromRow(row);
  }

  async listPlans(): Promise<PlanRecord[]> {
    const rows = await this.db.selectFrom('plans').selectAll().orderBy('id').execute();
    return rows.map(planFromRow);
  }

  // ---- keys

  /** DuplicateError('hash') or ('id') when either is taken; the tenant must exist. */
  async insertKey(k: ApiKeyRecord): Promise<void> {
    const inserted = await this.db
      .insertInto('api_keys')
      .values(keyToRow(k))
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return;
    const sameHash = await this.db
      .selectFrom('api_keys')
      .select('id')
      .where('hash', '=', k.hash)
      .executeTakeFirst();
    throw new DuplicateError(sameHash ? 'hash' : 'id', 'key');
  }

  /** Idempotent by hash (config-file keys, seeded at every start); true when it was added. */
  async seedKey(k: ApiKeyRecord): Promise<boolean> {
    const inserted = await this.db
      .insertInto('api_keys')
      .values(keyToRow(k))
      .onConflict((oc) => oc.column('hash').doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /**
   * The key and its tenant in one query on the unique hash index. Revoked and expired keys come
   * back too, with their timestamps: the caller decides what is valid at its `now`.
   */
  async findKeyByHash(
    hash: string,
  ): Promise<{ key: ApiKeyRecord; tenant: TenantRecord } | undefined> {
    const row = await this.db
      .selectFrom('api_keys as k')
      .innerJoin('tenants as t', 't.id', 'k.tenant_id')
      .selectAll('k')
      .select([...TENANT_JOIN_COLUMNS])
      .where('k.hash', '=', hash)
      .executeTakeFirst();
    return row && keyAndTenantFromRow(row);
  }

  async listKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(keyFromRow);
  }

  async getKey(tenantId: string, keyId: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', keyId)
      .executeTakeFirst();
    return row && keyFromRow(row);
  }

  /** Sets `revokedAt` unless set already (the first revocation stands). */
  async revokeKey(tenantId: string, keyId: string, at: number): Promise<ApiKeyRecord | undefined> {
    await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', keyId)
      .where('revoked_at', 'is', null)
      .execute();
    return this.getKey(tenantId, keyId);
  }

  /** Sets `expiresAt` (a rotation's overlap window) unless the key expires earlier already. */
  async expireKey(tenantId: string, keyId: string, at: number): Promise<ApiKeyRecord | undefined> {
    await this.db
      .updateTable('api_keys')
      .set({ expires_at: at })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', keyId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
      .execute();
    return this.getKey(tenantId, keyId);
  }

  // ---- budgets (integer micro-USD; see budget.ts)

  /** Holds `amountMicros` iff spent + reserved + amount <= limit, decided by one conditional UPDATE. */
  reserveBudget(r: ReserveBudget): Promise<ReserveResult> {
    return budget.reserveBudget(this.db, r);
  }

  /** Bills a call: ledger entry, spent += cost, its reservation (if still held) released. Idempotent. */
  settleBudget(s: SettleBudget): Promise<{ spentMicros: number } | undefined> {
    return budget.settleBudget(this.db, s);
  }

  /** A call that never reached the vendor: the reservation goes, nothing is billed. */
  releaseBudget(reservationId: string): Promise<void> {
    return budget.releaseBudget(this.db, reservationId);
  }

  /**
   * Takes out reservations past their `expiresAt` (their process died mid-call): each is charged
   * its worst case as an `interrupted`, estimated ledger row (see `chargeAbandoned`); returns how many.
   */
  sweepExpiredReservations(now: number): Promise<number> {
    return budget.sweepExpiredReservations(this.db, now);
  }

  /**
   * A new attempt of a call charges its earlier attempts that never settled: each becomes an
   * `interrupted` ledger row at its reserved worst case (`estimated`), moved from reserved to spent.
   */
  chargeAbandoned(a: {
    callKey: string;
    except?: string;
  }): Promise<{ calls: InterruptedCall[]; spentMicros?: number }> {
    return budget.chargeAbandoned(this.db, a);
  }

  /** Every attempt of a call in the usage ledger (rows written with its `callKey`). */
  callLedger(callKey: string): Promise<CallLedgerRow[]> {
    return budget.callLedger(this.db, callKey);
  }

  budgetState(tenantId: string, period: string): Promise<BudgetState> {
    return budget.budgetState(this.db, tenantId, period);
  }

  /**
   * A billed call of a tenant without a budget: ledger and spent, no reservation. Give `id` to
   * make a retry count once; `period` defaults to the UTC month of `entry.at`.
   */
  recordUsage(entry: LedgerEntry, opts?: { id?: string; period?: string }): Promise<void> {
    return budget.recordUsage(this.db, entry, opts);
  }

  /** Idempotent by jobId: the first outcome recorded for a job stands. */
  recordJobOutcome(o: JobOutcome): Promise<void> {
    return recordJobOutcome(this.db, o);
  }

  /** Calls, tokens and cost (ledger) beside jobs and valid answers (outcomes) in [from, to). */
  usage(q: UsageQuery): Promise<UsageRow[]> {
    return usage(this.db, q);
  }

  /** Tables and columns as the database reports them (diagnostics; the dialects are compared in tests). */
  describeSchema(): Promise<TableShape[]> {
    return describeSchema(this.db);
  }
}
