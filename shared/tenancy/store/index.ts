/** The tenant store: Node-side (SQLite or PostgreSQL), used by the API and the workers. */
export { TenantStore } from './tenant-store';
export type { OpenTenantStore } from './tenant-store';
export type { TableShape } from './schema';
export { PRUNED_TABLES, type PrunedTable } from './retention';
export { EventLog } from './events';
export { PromptStore, promptVersionId, ROLLOUT_TTL_MS } from './prompts';
export type { PromptVersion, StoredRollout } from './prompts';
export type { PromptVersionStats } from './prompt-stats';
export { EXPERIMENT_STATUSES, ExperimentStore } from './experiments';
export { DebugSampleStore } from './debug-samples';
export type { DebugSample, DebugSampleQuery, NewDebugSample } from './debug-samples';
export { EvaluationStore } from './evaluations';
export type { EvaluationCounts, EvaluationFilter, EvaluationRow } from './evaluations';
export type { Experiment, ExperimentResult, ExperimentStatus, NewExperiment } from './experiments';
export { MetricShareStore, PROCESS_ROLES } from './metric-shares';
export type { MetricShare, ProcessRole } from './metric-shares';
export { AuditLog } from './audit';
export { AUDIT_ACTIONS, AUDIT_GENESIS, PLATFORM_AUDIT_TENANT, keyActor } from './audit-types';
export type {
  AuditAction,
  AuditPage,
  AuditProblem,
  AuditRecord,
  AuditVerification,
  NewAuditRecord,
} from './audit-types';
export { DELIVERY_STATES, WebhookStore } from './webhooks';
export type {
  DeliveryAttempt,
  DeliveryState,
  NewWebhookEndpoint,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointPatch,
} from './webhooks';
export { NO_VALUE, emptyUsage, totalUsage } from './usage';
export {
  DuplicateError,
  TenantStoreOpenError,
  ROLES,
  TENANT_STATUSES,
  USAGE_GROUPS,
  monthPeriod,
  utcDay,
} from './types';
export type {
  ApiKeyRecord,
  BudgetState,
  CallLedgerRow,
  InterruptedCall,
  JobOutcome,
  LedgerEntry,
  NewTenant,
  PlanRecord,
  ReserveBudget,
  ReserveResult,
  Role,
  SettleBudget,
  TenantPatch,
  TenantRecord,
  TenantStatus,
  UsageGroup,
  UsageQuery,
  UsageRow,
} from './types';
