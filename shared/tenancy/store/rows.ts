import type { Selectable } from 'kysely';
import type { ApiKeysTable, PlansTable, TenantsTable, UsageLedgerTable } from './schema';
import {
  utcDay,
  type ApiKeyRecord,
  type LedgerEntry,
  type PlanRecord,
  type Role,
  type TenantRecord,
  type TenantStatus,
} from './types';

/** Between rows and records. JSON columns hold only what these functions wrote. */

export const tenantFromRow = (r: Selectable<TenantsTable>): TenantRecord => ({
  id: r.id,
  name: r.name,
  planId: r.plan_id,
  status: r.status as TenantStatus,
  overrides: JSON.parse(r.overrides) as Record<string, unknown>,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const tenantToRow = (t: TenantRecord): TenantsTable => ({
  id: t.id,
  name: t.name,
  plan_id: t.planId,
  status: t.status,
  overrides: JSON.stringify(t.overrides),
  created_at: t.createdAt,
  updated_at: t.updatedAt,
});

const orNull = (v: number | null): number | null => (v === null ? null : Number(v));

export const keyFromRow = (r: Selectable<ApiKeysTable>): ApiKeyRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  prefix: r.prefix,
  hash: r.hash,
  roles: JSON.parse(r.roles) as Role[],
  env: r.env as ApiKeyRecord['env'],
  createdAt: Number(r.created_at),
  expiresAt: orNull(r.expires_at),
  revokedAt: orNull(r.revoked_at),
});

/** The tenant's columns a key lookup joins, prefixed `t_` (TenantStore.findKeyByHash). */
export const TENANT_JOIN_COLUMNS = [
  't.name as t_name',
  't.plan_id as t_plan_id',
  't.status as t_status',
  't.overrides as t_overrides',
  't.created_at as t_created_at',
  't.updated_at as t_updated_at',
] as const;

/** A key row joined with its tenant's `TENANT_JOIN_COLUMNS`. */
export const keyAndTenantFromRow = (
  row: Selectable<ApiKeysTable> & {
    [
      K in Exclude<keyof Selectable<TenantsTable>, 'id'> as `t_${K & string}`
    ]: Selectable<TenantsTable>[K];
  },
): { key: ApiKeyRecord; tenant: TenantRecord } => ({
  key: keyFromRow(row),
  tenant: tenantFromRow({
    id: row.tenant_id,
    name: row.t_name,
    plan_id: row.t_plan_id,
    status: row.t_status,
    overrides: row.t_overrides,
    created_at: row.t_created_at,
    updated_at: row.t_updated_at,
  }),
});

export const keyToRow = (k: ApiKeyRecord): ApiKeysTable => ({
  id: k.id,
  tenant_id: k.tenantId,
  name: k.name,
  prefix: k.prefix,
  hash: k.hash,
  roles: JSON.stringify(k.roles),
  env: k.env,
  created_at: k.createdAt,
  expires_at: k.expiresAt,
  revoked_at: k.revokedAt,
});

export const planFromRow = (r: Selectable<PlansTable>): PlanRecord => ({
  id: r.id,
  definition: JSON.parse(r.definition) as Record<string, unknown>,
  updatedAt: Number(r.updated_at),
});

export const ledgerToRow = (id: string, e: LedgerEntry): UsageLedgerTable => ({
  id,
  at: e.at,
  day: utcDay(e.at),
  tenant_id: e.tenantId,
  key_id: e.keyId,
  job_id: e.jobId,
  task: e.task,
  provider: e.provider,
  model: e.model,
  prompt_version: e.promptVersion,
  input_tokens: e.inputTokens,
  output_tokens: e.outputTokens,
  cached_input_tokens: e.cachedInputTokens,
  cost_micros: e.costMicros,
  outcome: e.outcome,
  estimated: e.estimated ? 1 : 0,
  call_key: e.callKey ?? null,
});
