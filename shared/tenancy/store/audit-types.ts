/** The audit trail's records (audit.ts); the HTTP shape is in shared/contracts/audit.ts. */

/** The chain of changes that belong to no tenant (plans): its tenant id. */
export const PLATFORM_AUDIT_TENANT = '_platform';

/** The previous hash of a chain's first record. */
export const AUDIT_GENESIS = '0'.repeat(64);

/**
 * What a record says happened. Admin changes, the door's refusals (plan, budget; rate limits are
 * counted in metrics, not audited, so a flood cannot grow the trail), each job's end with its
 * admission, policy, moderation and validation verdicts, review decisions, decoded payloads,
 * erasures and retention runs.
 */
export const AUDIT_ACTIONS = [
  'tenant.created',
  'tenant.updated',
  'plan.updated',
  'key.created',
  'key.rotated',
  'key.revoked',
  'data-key.rotated',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret-rotated',
  'request.refused',
  'job.completed',
  'job.failed',
  'job.cancelled',
  'review.decided',
  'payloads.decoded',
  'tenant.erased',
  'retention.enforced',
  'prompt.version-created',
  'prompt.rollout-set',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface NewAuditRecord {
  /** Idempotency: an activity or request that retries appends its record once. */
  key: string;
  tenantId: string;
  /** `key:<api key id>` for a person or system calling with a key; `system:<part>` for Keel itself. */
  actor: string;
  action: AuditAction;
  jobId?: string | null;
  /** Ids, enums, counts and times only: never an input, an output or a secret. */
  detail?: Record<string, unknown>;
}

export interface AuditRecord {
  id: number;
  tenantId: string;
  /** 1, 2, 3… within the tenant's chain. */
  seq: number;
  /** ms since the epoch. */
  at: number;
  actor: string;
  action: string;
  jobId: string | null;
  detail: Record<string, unknown>;
  /** The hash of record `seq - 1` (AUDIT_GENESIS for the first). */
  prevHash: string;
  /** Hex SHA-256, or HMAC-SHA256 under the payload key `keyId` names. */
  hash: string;
  /** The payload key the hash is keyed with; '' when unkeyed. */
  keyId: string;
}

export interface AuditPage {
  items: AuditRecord[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next?: number;
}

export interface AuditProblem {
  tenantId: string;
  seq: number;
  problem: string;
}

export interface AuditVerification {
  ok: boolean;
  tenants: number;
  records: number;
  problems: AuditProblem[];
}

/** `key:<id>` for a caller with an API key (its id, never the key). */
export const keyActor = (keyId: string | undefined): string =>
  keyId ? `key:${keyId}` : 'key:unknown';
