import { z } from 'zod';
import { Instant } from './instant';
import { TenancyId, TenantOverrides, PlanDefinition } from '../tenancy/plans';

/** Roles a key may carry; `operator` (every tenant) only from a platform operator. */
export const KeyRole = z.enum(['caller', 'reviewer', 'admin', 'operator']);

export const CreateTenantBody = z
  .object({
    id: TenancyId,
    name: z.string().min(1).max(200).optional(),
    plan: TenancyId,
    overrides: TenantOverrides.optional(),
  })
  .strict();

export const UpdateTenantBody = z
  .object({
    name: z.string().min(1).max(200),
    plan: TenancyId,
    status: z.enum(['active', 'suspended']),
    overrides: TenantOverrides,
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'send at least one of name, plan, status, overrides');

export const TenantBody = z.object({
  id: z.string(),
  name: z.string(),
  plan: z.string(),
  status: z.enum(['active', 'suspended']),
  overrides: TenantOverrides,
  createdAt: z.string().describe('ISO 8601'),
  updatedAt: z.string().describe('ISO 8601'),
});
export type TenantBody = z.infer<typeof TenantBody>;

export const TenantListBody = z.object({
  items: z.array(TenantBody),
  /** Pass as `after` for the next page; absent on the last page. */
  next: z.string().optional(),
});

export const CreateKeyBody = z
  .object({
    name: z.string().min(1).max(100),
    roles: z.array(KeyRole).min(1).max(4),
    env: z.enum(['live', 'test']).default('live'),
  })
  .strict();

/** Longest overlap of a rotated key with its successor: 30 days. */
export const MAX_ROTATION_OVERLAP_S = 30 * 24 * 3600;

export const RotateKeyBody = z
  .object({
    /** How long the old key keeps working beside the new one. @default 3600 */
    overlapSeconds: z.number().int().min(0).max(MAX_ROTATION_OVERLAP_S).default(3600),
  })
  .strict();

export const KeyBody = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  prefix: z.string().describe('The start of the key, to recognise it.'),
  roles: z.array(KeyRole),
  env: z.enum(['live', 'test']),
  createdAt: z.string(),
  expiresAt: z.string().nullable().describe('Set when rotated: the key stops working then.'),
  revokedAt: z.string().nullable(),
});
export type KeyBody = z.infer<typeof KeyBody>;

export const CreatedKeyBody = KeyBody.extend({
  key: z.string().describe('The key itself: shown this once, never again (Keel keeps its hash).'),
});

export const KeyListBody = z.object({ items: z.array(KeyBody) });

export const PlanBody = PlanDefinition;
export const PlanListBody = z.object({ items: z.array(PlanDefinition) });

/** Longest span one usage query covers: 366 days. */
export const MAX_USAGE_SPAN_MS = 366 * 24 * 3600 * 1000;

export const UsageQuery = z
  .object({
    /** Inclusive; default: the start of the current UTC month. */
    from: Instant.optional(),
    /** Exclusive; default: now. */
    to: Instant.optional(),
    groupBy: z
      .string()
      .default('')
      .transform((v) => (v ? v.split(',').map((g) => g.trim()) : []))
      .pipe(z.array(z.enum(['tenant', 'task', 'model', 'day', 'key'])).max(5)),
    /** The platform operator may ask for one tenant (default: all). */
    tenant: TenancyId.optional(),
  })
  .strict();

const UsageFigures = z.object({
  calls: z.number().int(),
  failedCalls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
  interruptedCalls: z
    .number()
    .int()
    .describe(
      'Calls cut off mid-call (a worker killed): made again, their usage unknown to Keel. Counted in failedCalls.',
    ),
  estimatedCostUsd: z
    .number()
    .describe(
      "The part of costUsd that is an upper bound, not a vendor's bill: each interrupted call at the worst case reserved for it.",
    ),
  jobs: z.number().int().describe('Jobs that completed with an answer.'),
  validAnswers: z.number().int().describe('Answers a model gave and validation accepted.'),
  costPerSuccessUsd: z
    .number()
    .nullable()
    .describe('Cost of every call, failed ones included, ÷ valid answers; null without any.'),
});

export const UsageBody = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.array(z.string()),
  rows: z.array(UsageFigures.extend({ group: z.record(z.string(), z.string()) })),
  totals: UsageFigures,
});
export type UsageBody = z.infer<typeof UsageBody>;

/** `POST /v1/admin/tenants/{id}/erase`: the tenant's id typed again. */
export const EraseTenantBody = z.object({ confirm: z.string().min(1).max(200) }).strict();

export const ErasureBody = z.object({
  erasureId: z.string().describe('The erasure’s workflow id (one per tenant at a time).'),
  tenant: z.string(),
  status: z.enum(['running', 'completed', 'failed']),
  result: z
    .object({
      tenantId: z.string(),
      jobsDeleted: z.number().int().describe('Workflows deleted from Temporal, histories and all.'),
      blobsDeleted: z
        .number()
        .int()
        .optional()
        .describe('Claim-check blobs deleted from the blob store (docs/claim-check.md).'),
      rows: z.record(z.string(), z.number().int()).describe('Rows deleted per table.'),
    })
    .optional()
    .describe('Once completed.'),
});
export type ErasureBody = z.infer<typeof ErasureBody>;

/** `POST /v1/admin/tenants/{id}/data-keys/rotate`: the tenant's new data key (never the key). */
export const DataKeyRotationBody = z.object({
  tenant: z.string(),
  keyId: z
    .string()
    .describe(
      'The new key’s reference, `tenant:<id>:<version>`: what new payloads carry in `encryption-key-id`.',
    ),
  version: z.number().int().min(1),
  versions: z
    .array(z.number().int().min(1))
    .describe('Every version the tenant has: the older ones still decrypt what they encrypted.'),
});
export type DataKeyRotationBody = z.infer<typeof DataKeyRotationBody>;
