import { z } from 'zod';
import { Instant } from './instant';
import { TenancyId } from '../tenancy/plans';
import { Rate } from './experiments';

/**
 * `GET /v1/evaluations` (docs/evaluation.md): sampled evaluation of live traffic, per task ×
 * model × prompt version (× day): how many answers were evaluated, the hallucination rate (the
 * verifier's score below the minimum) and the unsafe-output rate, each with its 95 % Wilson
 * interval, and what the evaluation cost. A tenant admin reads its own; the operator every
 * tenant's, or one (`tenant`).
 */

/** The longest window one read covers. */
export const MAX_EVALUATION_SPAN_MS = 366 * 24 * 3600 * 1000;
/** The window when `from` is not given: the 30 days before `to`. */
export const DEFAULT_EVALUATION_SPAN_MS = 30 * 24 * 3600 * 1000;

export const EvaluationsQuery = z
  .object({
    task: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[a-z0-9-]+$/, 'a task name')
      .optional()
      .describe('Only this task’s evaluations.'),
    from: Instant.optional().describe('Inclusive; default: 30 days before `to`.'),
    to: Instant.optional().describe('Exclusive; default: now.'),
    groupBy: z.enum(['day']).optional().describe('`day`: one group per UTC day as well.'),
    tenant: TenancyId.optional().describe('The platform operator: one tenant (default: all).'),
  })
  .strict();
export type EvaluationsQuery = z.infer<typeof EvaluationsQuery>;

export const EvaluationGroup = z.object({
  task: z.string(),
  model: z.string().describe('`provider:model` of the live answers.'),
  promptVersion: z.string(),
  day: z.string().optional().describe('`YYYY-MM-DD` (UTC), with `groupBy=day`.'),
  evaluated: z.number().int().describe('Live answers evaluated.'),
  hallucination: Rate.describe(
    'Answers the verifier scored below the minimum, over those it gave a verdict on.',
  ),
  unsafe: Rate.describe(
    'Answers output moderation found PII or profanity in that the input did not hold, over every evaluated answer.',
  ),
  errors: z.number().int().describe('Evaluations without a verifier verdict (calls failed).'),
  costUsd: z.number().describe('What the evaluation’s verifier calls cost (never in /v1/usage).'),
});
export type EvaluationGroup = z.infer<typeof EvaluationGroup>;

export const EvaluationsBody = z.object({
  from: z.string(),
  to: z.string(),
  groups: z.array(EvaluationGroup),
  totals: z.object({ evaluated: z.number().int(), costUsd: z.number() }),
});
export type EvaluationsBody = z.infer<typeof EvaluationsBody>;
