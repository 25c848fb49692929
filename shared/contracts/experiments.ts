import { z } from 'zod';

/**
 * Shadow tests (docs/experiments.md): `POST /v1/admin/experiments`, `GET /v1/experiments[/{id}]`,
 * `POST /v1/admin/experiments/{id}/stop`.
 */

const Route = z
  .string()
  .regex(/^[a-z0-9-]+:[A-Za-z0-9._:/-]+$/, 'expected provider:model')
  .max(200);

export const CreateExperimentBody = z
  .object({
    task: z.string().min(1).max(100).describe('The task whose live traffic is sampled.'),
    tenant: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe(
        'Whose traffic: a tenant (a tenant admin: only its own, the default). The operator without it: every tenant’s.',
      ),
    candidatePromptId: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        'A registry prompt version of the task (`classify-ticket@r3`). Default: the live job’s.',
      ),
    candidateRoute: Route.optional().describe(
      'The `provider:model` the shadow calls. Default: the live job’s model.',
    ),
    sampleRate: z
      .number()
      .min(0)
      .max(1)
      .describe('Share of the scope’s jobs answered by a model that are shadowed, 0–1.'),
  })
  .strict()
  .refine((b) => b.candidatePromptId !== undefined || b.candidateRoute !== undefined, {
    message: 'name a candidatePromptId, a candidateRoute or both',
    path: ['candidateRoute'],
  });
export type CreateExperimentBody = z.infer<typeof CreateExperimentBody>;

export const ExperimentListQuery = z
  .object({ status: z.enum(['running', 'stopped']).optional() })
  .strict();

/** A share with its 95 % Wilson interval (experiments, evaluations). */
export const Rate = z.object({
  rate: z.number().nullable().describe('Share; null without trials.'),
  n: z.number().int().describe('Trials.'),
  low: z.number().nullable().describe('95 % Wilson interval, lower bound.'),
  high: z.number().nullable().describe('95 % Wilson interval, upper bound.'),
});

const Delta = z.object({
  mean: z.number().nullable().describe('Mean of shadow − live per job; null without jobs.'),
  n: z.number().int(),
  low: z.number().nullable().describe('95 % normal interval (mean ± 1.96·s/√n), lower bound.'),
  high: z.number().nullable(),
});

export const ExperimentSummary = z.object({
  id: z.string(),
  task: z.string(),
  status: z.enum(['running', 'stopped']),
  n: z.number().int().describe('Shadowed jobs compared so far.'),
  sampleRate: z.number(),
  candidateRoute: z.string().nullable(),
  candidatePromptId: z.string().nullable(),
  tenant: z.string().nullable().describe('Whose traffic; null: every tenant’s.'),
  createdAt: z.string(),
  stoppedAt: z.string().nullable(),
});

export const ExperimentBody = ExperimentSummary.extend({
  stats: z.object({
    n: z.number().int(),
    enoughSamples: z.boolean().describe('n ≥ minSamples: below it, read the intervals, not rates.'),
    minSamples: z.number().int(),
    enumField: z.string().nullable().describe('The output’s enum field compared (`category`).'),
    enumMatch: Rate.describe('Jobs whose enum field agrees, over jobs where both answers name it.'),
    validationPass: Rate.describe(
      'Shadow answers that passed validation, over every shadowed job.',
    ),
    fieldDiffs: z
      .record(z.string(), Rate)
      .describe('Per top-level output field: share that differs.'),
    latencyDeltaMs: Delta.describe('Provider time, shadow − live.'),
    costDeltaUsd: Delta.describe('Cost, shadow − live (the shadow’s is not billed to the tenant).'),
    live: z.object({ meanLatencyMs: z.number().nullable(), meanCostUsd: z.number().nullable() }),
    shadow: z.object({
      meanLatencyMs: z.number().nullable(),
      meanCostUsd: z.number().nullable(),
      totalCostUsd: z
        .number()
        .describe('What the shadow calls cost: the experiment’s, not the tenant’s.'),
    }),
    errors: z.record(z.string(), z.number().int()).describe('Shadow failures by kind.'),
  }),
});
export type ExperimentBody = z.infer<typeof ExperimentBody>;
export type ExperimentSummary = z.infer<typeof ExperimentSummary>;

export const ExperimentListBody = z.object({ items: z.array(ExperimentSummary) });
export type ExperimentListBody = z.infer<typeof ExperimentListBody>;
