import { z } from 'zod';

export const JobStatus = {
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  timedOut: 'timed_out',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** Which path produced the output. The skeleton produces `primary` and `fallback`. */
export const ResultPath = {
  primary: 'primary',
  fallback: 'fallback',
  cache: 'cache',
  degraded: 'degraded',
  review: 'review',
} as const;
export type ResultPath = (typeof ResultPath)[keyof typeof ResultPath];

export const ValidationOutcome = z.enum(['passed', 'failed', 'skipped']);

export const ResultMeta = z.object({
  provider: z.string(),
  model: z.string(),
  promptVersion: z.string(),
  attempts: z.number().int().min(1).describe('Model calls made, across candidates and retries.'),
  path: z.enum(Object.values(ResultPath)),
  reasons: z.array(z.string()).describe('Why the path is not `primary`, one line per failure.'),
  validation: z.object({ schema: ValidationOutcome }),
  latencyMs: z.number().int().min(0).describe('From admission to the recorded result.'),
  tokens: z
    .object({
      input: z.number().int(),
      output: z.number().int(),
      cachedInput: z.number().int(),
      estimatedInput: z.number().int().describe('Counted before the first call, for budgets.'),
    })
    .describe('Actual tokens over every billed call of this task.'),
  costUsd: z
    .number()
    .min(0)
    .describe('Every billed call, failed ones included, at registry prices.'),
  lastGood: z
    .object({ jobId: z.string(), ageMs: z.number().int().min(0) })
    .optional()
    .describe('When degraded to the last good answer for the same input: which job, and how old.'),
});
export type ResultMeta = z.infer<typeof ResultMeta>;

export const JobStep = z.object({
  name: z.string().describe('admit, call, validate, record'),
  outcome: z.enum(['ok', 'failed']),
  detail: z.string().optional(),
});
export type JobStep = z.infer<typeof JobStep>;

/** What the workflow exposes through `getJobState`. */
export interface JobState {
  status: JobStatus;
  steps: JobStep[];
  output?: unknown;
  meta?: ResultMeta;
}

/** Caller-supplied options. All optional; each is bounded by the task. */
export const TaskOptions = z
  .object({
    maxSyncMs: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("Lower the synchronous wait (capped by the task's maxSyncMs). 0 = always 202."),
    route: z
      .array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9._:/-]+$/, 'expected provider:model'))
      .min(1)
      .max(5)
      .optional()
      .describe('Ordered provider:model candidates, replacing the task route.'),
    allowDegraded: z
      .boolean()
      .optional()
      .describe(
        "When every candidate fails, answer with the task's deterministic fallback (meta.path degraded). Default true; false prefers an error.",
      ),
  })
  .strict();
export type TaskOptions = z.infer<typeof TaskOptions>;

/** The workflow's single argument. Small: ids, the validated input, options. */
export interface RunTaskRequest {
  task: string;
  tenantId: string;
  requestId: string;
  input: unknown;
  options: TaskOptions;
}

export interface RunTaskResult {
  output: unknown;
  meta: ResultMeta;
  /** The steps, kept with the result so reading a finished job needs no worker. */
  steps?: JobStep[];
}
