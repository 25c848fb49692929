import { z } from 'zod';
import { TenancyId } from '../tenancy/plans';
import { RolloutEntry, STICKINESS } from '../tenancy/prompt-rollout';

/** The prompt registry's admin API (docs/prompt-registry.md). */

/** Longest system prompt or user template, in characters. */
export const MAX_PROMPT_CHARS = 20_000;

const tenantField = TenancyId.optional().describe(
  'Operator only: the tenant whose override this is; absent: global. A tenant admin’s is always its own tenant.',
);

export const CreatePromptVersionBody = z
  .object({
    system: z.string().min(1).max(MAX_PROMPT_CHARS).describe('The system prompt.'),
    userTemplate: z
      .string()
      .min(1)
      .max(MAX_PROMPT_CHARS)
      .describe(
        'The user turn: `{{field}}` for a top-level input field, `{{input}}` for the whole input as JSON in <input> tags.',
      ),
    note: z.string().max(200).optional().describe('What changed, for the people reading the list.'),
    tenant: tenantField,
  })
  .strict();

export const PromptVersionBody = z.object({
  id: z
    .string()
    .describe('`<task>@r<n>` (global), `<task>@<tenant>.r<n>` (override), or built-in.'),
  task: z.string(),
  tenant: z.string().nullable().describe('null: global (or the built-in prompt).'),
  builtIn: z.boolean().describe('The task’s prompt in code: used where no rollout applies.'),
  system: z.string(),
  userTemplate: z.string().nullable().describe('null for the built-in prompt (rendered in code).'),
  note: z.string().nullable(),
  createdAt: z.string().nullable().describe('ISO 8601; null for the built-in prompt.'),
});
export type PromptVersionBody = z.infer<typeof PromptVersionBody>;

export const PromptRolloutBody = z.object({
  task: z.string(),
  tenant: z.string().nullable().describe('null: the global rollout.'),
  stickiness: z.enum(STICKINESS),
  versions: z.array(z.object({ version: z.string(), percent: z.number() })),
  updatedAt: z.string().describe('ISO 8601'),
});
export type PromptRolloutBody = z.infer<typeof PromptRolloutBody>;

/** Which rollout a scope's jobs follow: its own, the global one, or none (the built-in prompt). */
export const InEffect = z.enum(['tenant', 'global', 'built-in']);

export const PromptVersionListBody = z.object({
  items: z.array(PromptVersionBody).describe('The built-in prompt, then versions oldest first.'),
  rollout: PromptRolloutBody.nullable().describe('The scope’s own rollout, if it has one.'),
  inEffect: InEffect,
});
export type PromptVersionListBody = z.infer<typeof PromptVersionListBody>;

export const PutRolloutBody = z
  .object({
    tenant: tenantField,
    stickiness: z
      .enum(STICKINESS)
      .default('tenant')
      .describe('Who keeps a version while the shares stay: each tenant, or each API key.'),
    versions: z
      .array(RolloutEntry)
      .max(20)
      .describe(
        'Shares adding up to 100, in bucket order; empty removes the scope’s rollout (it follows the global one, else the built-in prompt).',
      ),
  })
  .strict();

export const PromptRolloutResultBody = z.object({
  rollout: PromptRolloutBody.nullable(),
  inEffect: InEffect,
});
export type PromptRolloutResultBody = z.infer<typeof PromptRolloutResultBody>;

export const PromptScopeQuery = z
  .object({ tenant: TenancyId.optional().describe('Operator only: a tenant’s scope.') })
  .strict();

const rate = z.number().min(0).max(1).nullable();

export const PromptStatsBody = z.object({
  task: z.string(),
  tenant: z.string().nullable().describe('null: every tenant (operator).'),
  versions: z.array(
    z.object({
      version: z.string(),
      jobs: z.number().int().describe('Completed jobs (billed tenants) that ran with it.'),
      validRate: rate.describe('Jobs answered by a validated model answer, not a downgrade.'),
      reaskRate: rate.describe('Jobs in which an answer was rejected and re-asked.'),
      reviewRate: rate.describe('Jobs a person reviewed.'),
      degradedRate: rate.describe('Jobs that ended on a downgrade.'),
      latencyP50Ms: z.number().int().nullable(),
      calls: z.number().int().describe('Billed model calls, failed ones included (usage ledger).'),
      failedCalls: z.number().int(),
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
      costUsd: z.number(),
      costPerJobUsd: z.number().nullable(),
    }),
  ),
});
export type PromptStatsBody = z.infer<typeof PromptStatsBody>;
