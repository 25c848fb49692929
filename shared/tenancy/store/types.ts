/** What the tenant store holds, as its callers see it. Times are epoch milliseconds. */

export const ROLES = ['caller', 'reviewer', 'admin', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export const TENANT_STATUSES = ['active', 'suspended'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export interface TenantRecord {
  id: string;
  name: string;
  planId: string;
  status: TenantStatus;
  /** Limit, budget and policy overrides; the API validates them, the store keeps them as JSON. */
  overrides: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export type NewTenant = Omit<TenantRecord, 'createdAt' | 'updatedAt'>;
export type TenantPatch = Partial<Pick<TenantRecord, 'name' | 'planId' | 'status' | 'overrides'>>;

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  /** The start of the key, shown in lists, e.g. `keel_live_AbCd`. */
  prefix: string;
  /** sha256 hex of the full key. */
  hash: string;
  roles: Role[];
  env: 'live' | 'test';
  createdAt: number;
  /** Set when the key is rotated (the overlap window); the key is invalid at and after it. */
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface PlanRecord {
  id: string;
  definition: Record<string, unknown>;
  updatedAt: number;
}

export interface LedgerEntry {
  at: number;
  tenantId: string;
  keyId: string | null;
  jobId: string;
  task: string;
  provider: string;
  model: string;
  promptVersion: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Integer micro-USD. */
  costMicros: number;
  outcome: 'ok' | 'failed' | 'interrupted';
  /**
   * `costMicros` is an upper bound, not the vendor's bill: an interrupted call charged its
   * reservation's worst case (the vendor's answer, if any, never reached Keel). @default false
   */
  estimated?: boolean;
  /** The call this is one attempt of, as in `ReserveBudget.callKey`. */
  callKey?: string;
}

/** One attempt of a call in the ledger (`callLedger`). */
export interface CallLedgerRow {
  /** The reservation id the attempt was billed under. */
  id: string;
  outcome: LedgerEntry['outcome'];
  costMicros: number;
  estimated: boolean;
}

export interface JobOutcome {
  jobId: string;
  tenantId: string;
  keyId: string | null;
  task: string;
  /** What answered; null when nothing did. */
  provider: string | null;
  model: string | null;
  /** A validated answer was returned (completed, not degraded-failed). */
  valid: boolean;
  status: string;
  completedAt: number;
  /** The prompt version the job ran with (per-version statistics, docs/prompt-registry.md). */
  promptVersion?: string;
  /** `meta.path`. */
  path?: string;
  /** `meta.latencyMs`. */
  latencyMs?: number;
  /** A candidate's answer was re-asked. */
  reasked?: boolean;
}

export interface ReserveBudget {
  /** Chosen by the caller, unique per model call; a repeated reserve with the same id is a no-op. */
  reservationId: string;
  tenantId: string;
  /** The budget period, e.g. '2026-12' (see `monthPeriod`). */
  period: string;
  amountMicros: number;
  /** null: no limit (the reservation is still recorded, so spend stays exact). */
  limitMicros: number | null;
  /** After this the reservation is presumed orphaned (its process died) and may be swept. */
  expiresAt: number;
  /**
   * The call's ledger row should it never be settled: the sweep writes it with outcome
   * `interrupted`, no tokens (the vendor told Keel nothing) and the reserved amount as an
   * estimated cost, so the call is counted and charged.
   */
  entry?: LedgerEntry;
  /**
   * The call this is one attempt of (e.g. `<job>/<run>/<activity>`), the same for each of its
   * attempts: `chargeAbandoned` finds an earlier attempt's open reservation by it.
   */
  callKey?: string;
}

/** An attempt of a call that never settled, charged as interrupted at its reservation's amount. */
export interface InterruptedCall {
  reservationId: string;
  /** The reservation's worst case, now spent: an upper bound of what the vendor billed. */
  costMicros: number;
}

export interface BudgetState {
  spentMicros: number;
  reservedMicros: number;
}

export interface ReserveResult extends BudgetState {
  ok: boolean;
}

export interface SettleBudget {
  reservationId: string;
  entry: LedgerEntry;
  /**
   * The period to bill when the reservation is gone (swept before the call returned). Default:
   * the reservation's own period, else `monthPeriod(entry.at)`.
   */
  period?: string;
}

export const USAGE_GROUPS = ['tenant', 'task', 'model', 'day', 'key'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageQuery {
  /** Omitted: every tenant (the platform operator's view). */
  tenantId?: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  groupBy: UsageGroup[];
}

export interface UsageRow {
  /** `model` is `provider:model`; a missing key or model (a job nothing answered) is 'none'. */
  group: Partial<Record<UsageGroup, string>>;
  calls: number;
  failedCalls: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  /** Calls cut off mid-call (outcome `interrupted`). */
  interruptedCalls: number;
  /** The part of `costMicros` that is an upper bound (interrupted calls at their worst case). */
  estimatedCostMicros: number;
  jobs: number;
  validAnswers: number;
}

/** The store could not open: a bad URL or path, or its migrations failed. */
export class TenantStoreOpenError extends Error {
  override readonly name = 'TenantStoreOpenError';
}

/** A unique value taken already: `field` names it ('id', 'hash'). */
export class DuplicateError extends Error {
  override readonly name = 'DuplicateError';
  constructor(
    readonly field: string,
    readonly entity: 'tenant' | 'key',
  ) {
    super(`a ${entity} with this ${field} exists already`);
  }
}

/** The UTC calendar month of an instant, 'YYYY-MM': the default budget period. */
export function monthPeriod(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** The UTC date of an instant, 'YYYY-MM-DD', as the usage report groups days. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}
