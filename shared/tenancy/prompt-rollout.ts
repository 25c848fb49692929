import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * A rollout: which prompt versions a task runs with, and for what share of the stickiness units
 * (docs/prompt-registry.md). Each unit (a tenant by default, or an API key) hashes to a fixed
 * bucket of 10,000 per task; the versions take consecutive ranges of buckets in the order listed.
 * So a unit keeps its version while the percentages stay the same, and growing the first
 * version's share only moves units onto it, never off it.
 */

/** Buckets per task: a percentage is resolved to 0.01 %. */
export const BUCKETS = 10_000;

export const STICKINESS = ['tenant', 'key'] as const;
export type Stickiness = (typeof STICKINESS)[number];

export const RolloutEntry = z
  .object({
    version: z.string().min(1).max(200).describe('A version id, or the task’s built-in version.'),
    percent: z
      .number()
      .min(0)
      .max(100)
      .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, 'at most two decimals'),
  })
  .strict();

export const PromptRollout = z
  .object({
    /** Who keeps a version: each tenant (default), or each API key. */
    stickiness: z.enum(STICKINESS).default('tenant'),
    versions: z.array(RolloutEntry).min(1).max(20),
  })
  .strict();
export type PromptRollout = z.output<typeof PromptRollout>;

/** Problems of a rollout's shares (fields under `versions`); empty when they make 100 %. */
export function rolloutProblems(
  versions: ReadonlyArray<{ version: string; percent: number }>,
): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v.version))
      problems.push({ field: `versions.${i}.version`, message: 'listed twice' });
    seen.add(v.version);
  });
  const basisPoints = versions.reduce((sum, v) => sum + Math.round(v.percent * 100), 0);
  if (basisPoints !== BUCKETS)
    problems.push({
      field: 'versions',
      message: `the percentages add up to ${basisPoints / 100}, not 100`,
    });
  return problems;
}

/** A unit's bucket for a task: the first 4 bytes of sha256(`task\nunit`), modulo 10,000. */
export function promptBucket(task: string, unit: string): number {
  return createHash('sha256').update(`${task}\n${unit}`).digest().readUInt32BE(0) % BUCKETS;
}

/** The stickiness unit of a request: `tenant:<id>`, or `key:<id>` when asked and known. */
export function stickinessUnit(args: {
  stickiness: Stickiness;
  tenantId: string;
  keyId?: string | undefined;
}): string {
  return args.stickiness === 'key' && args.keyId ? `key:${args.keyId}` : `tenant:${args.tenantId}`;
}

/** The version a request runs with under `rollout`: its unit's bucket, in the listed ranges. */
export function assignVersion(args: {
  task: string;
  tenantId: string;
  keyId?: string | undefined;
  rollout: PromptRollout;
}): string {
  const bucket = promptBucket(
    args.task,
    stickinessUnit({ ...args, stickiness: args.rollout.stickiness }),
  );
  let upTo = 0;
  for (const v of args.rollout.versions) {
    upTo += Math.round(v.percent * 100);
    if (bucket < upTo) return v.version;
  }
  // Shares that do not reach 100 % (never stored): the last version takes the rest.
  return args.rollout.versions.at(-1)!.version;
}
