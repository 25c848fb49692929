import { z } from 'zod';
import { TenancyId } from '../tenancy/plans';
import { AUDIT_ACTIONS } from '../tenancy/store/audit-types';

export { AUDIT_ACTIONS };

/** Most records on one page of `GET /v1/audit`. */
export const MAX_AUDIT_PAGE = 500;

const cursor = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'a sequence number from a previous page’s `next`')
  .transform(Number);

export const AuditQuery = z
  .object({
    /** The platform operator reads any tenant's chain (`_platform`: plans); an admin its own. */
    tenant: z.union([TenancyId, z.literal('_platform')]).optional(),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, 'a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_AUDIT_PAGE))
      .default(100),
    before: cursor.optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    jobId: z.string().min(1).max(200).optional(),
  })
  .strict();

export const AuditVerifyQuery = z
  .object({ tenant: z.union([TenancyId, z.literal('_platform')]).optional() })
  .strict();

export const AuditRecordBody = z.object({
  tenant: z.string(),
  seq: z.number().int().min(1).describe('1, 2, 3… within the tenant’s chain.'),
  at: z.string().describe('ISO 8601'),
  actor: z
    .string()
    .describe('`key:<key id>` for a caller with an API key; `system:<part>` for Keel itself.'),
  action: z.enum(AUDIT_ACTIONS),
  jobId: z.string().nullable(),
  detail: z
    .record(z.string(), z.unknown())
    .describe('Ids, enums, counts and times: never an input, an output or a secret.'),
  prevHash: z.string().describe('The hash of record `seq - 1` (64 zeros for the first).'),
  hash: z
    .string()
    .describe('Hex HMAC-SHA256 under a key derived from payload key `keyId`, or SHA-256.'),
  keyId: z.string().describe('The payload key the hash is keyed with; empty when unkeyed.'),
});
export type AuditRecordBody = z.infer<typeof AuditRecordBody>;

export const AuditPageBody = z.object({
  items: z.array(AuditRecordBody).describe('Newest first.'),
  next: z.string().optional().describe('Pass as `before` for older records; absent at the end.'),
});
export type AuditPageBody = z.infer<typeof AuditPageBody>;

export const AuditVerificationBody = z.object({
  ok: z.boolean(),
  tenants: z.number().int().describe('Chains walked.'),
  records: z.number().int().describe('Records checked.'),
  problems: z
    .array(z.object({ tenant: z.string(), seq: z.number().int(), problem: z.string() }))
    .describe('Every break found: an edited, missing or unlinked record, a missing tail.'),
});
export type AuditVerificationBody = z.infer<typeof AuditVerificationBody>;
