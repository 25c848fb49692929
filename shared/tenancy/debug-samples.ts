import { z } from 'zod';

/**
 * Debug samples, a tenant's opt-in (docs/debug-samples.md): the share of its jobs whose model
 * calls keep their prompt messages and raw answer, masked as log lines are, for `retentionDays`.
 * Off unless the tenant's overrides set it; the tenant's own admin or the platform operator sets
 * it (`PATCH /v1/admin/tenants/{id}`, `overrides.debugSamples`), `null` turns it off.
 */
export const DebugSamplesSetting = z
  .object({
    /** Share of the tenant's jobs sampled, 0 … 1 (a hash of the job id, so all of a job's calls). */
    rate: z.number().min(0).max(1),
    /** Days a sample is kept, 1 … 90, whatever the tenant's job retention. */
    retentionDays: z.number().int().min(1).max(90),
  })
  .strict();
export type DebugSamplesSetting = z.infer<typeof DebugSamplesSetting>;

/** Characters of one message or answer a sample keeps; the rest is cut with a marker. */
export const MAX_SAMPLE_TEXT_CHARS = 4_096;
/** Messages a sample keeps (the first ones; `droppedMessages` counts the others). */
export const MAX_SAMPLE_MESSAGES = 20;
/** Most samples on one page of `GET /v1/admin/debug-samples`. */
export const MAX_SAMPLES_PER_PAGE = 100;

/** The tenant's setting from its stored overrides; undefined = off (absent, null, rate 0, bad). */
export function debugSamplesOf(
  overrides: Record<string, unknown>,
): DebugSamplesSetting | undefined {
  const parsed = DebugSamplesSetting.safeParse(overrides.debugSamples);
  return parsed.success && parsed.data.rate > 0 ? parsed.data : undefined;
}
