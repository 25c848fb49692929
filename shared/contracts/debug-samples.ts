import { z } from 'zod';
import { Instant } from './instant';
import { MAX_SAMPLES_PER_PAGE } from '../tenancy/debug-samples';
import { TenancyId } from '../tenancy/plans';

/**
 * `GET /v1/admin/debug-samples` (docs/debug-samples.md): a tenant's sampled model calls, their
 * prompt messages and raw answers masked as log lines are; a tenant admin its own, the platform
 * operator any tenant's (or all).
 */
export { MAX_SAMPLES_PER_PAGE };

export const DebugSamplesQuery = z
  .object({
    /** The platform operator reads any tenant's samples (default: all); an admin its own. */
    tenant: TenancyId.optional(),
    task: z
      .string()
      .regex(/^[a-z0-9-]{1,100}$/, 'a task name')
      .optional(),
    /** Inclusive. */
    from: Instant.optional(),
    /** Exclusive. */
    to: Instant.optional(),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, 'a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_SAMPLES_PER_PAGE))
      .default(20),
    before: z
      .string()
      .regex(/^[1-9]\d{0,15}$/, 'a sample id from a previous page’s `next`')
      .transform(Number)
      .optional(),
  })
  .strict();

export const DebugSampleBody = z.object({
  id: z.string(),
  tenant: z.string(),
  jobId: z.string(),
  task: z.string(),
  provider: z.string(),
  model: z.string(),
  promptVersion: z.string(),
  outcome: z.string().describe('`ok`, or the call’s failure type (`RateLimited`, `Timeout`, …).'),
  latencyMs: z.number().int(),
  inputTokens: z.number().int().nullable(),
  outputTokens: z.number().int().nullable(),
  at: z.string().describe('ISO 8601: when the call started.'),
  expiresAt: z.string().describe('ISO 8601: when retention deletes it.'),
  messages: z
    .array(z.object({ role: z.string(), content: z.string() }))
    .describe(
      'What the model was sent, masked ([EMAIL], [PHONE], …), each cut at 4,096 characters with a marker.',
    ),
  droppedMessages: z.number().int().describe('Messages past the first 20, not kept.'),
  output: z
    .string()
    .nullable()
    .describe('The raw answer, masked and cut like the messages; null when the call failed.'),
});
export type DebugSampleBody = z.infer<typeof DebugSampleBody>;

export const DebugSamplePageBody = z.object({
  items: z.array(DebugSampleBody).describe('Newest first.'),
  next: z.string().optional().describe('Pass as `before` for older samples; absent at the end.'),
});
export type DebugSamplePageBody = z.infer<typeof DebugSamplePageBody>;
