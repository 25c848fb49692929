/** The bodies of the batch routes' answers (`/v1/batches`), as zod schemas for the OpenAPI document. */
import { z } from 'zod';
import { BATCH_ITEM_STATUSES, BatchStatus } from './batch';
import { FieldErrorBody, ProblemBody } from './http';

const Counts = z
  .object(Object.fromEntries(BATCH_ITEM_STATUSES.map((s) => [s, z.number().int().min(0)])))
  .describe(
    'Items by status. `running`: started, or next in line to start; `failed` includes items refused at submission.',
  );

/** `POST /v1/batches` → 202. */
export const BatchAcceptedBody = z.object({
  batchId: z.string(),
  items: z.number().int().min(1).describe('Items in the batch, valid or not.'),
  invalid: z
    .number()
    .int()
    .min(0)
    .describe('Items refused at submission: recorded as failed with their problem, never run.'),
  errors: z
    .array(FieldErrorBody)
    .optional()
    .describe('The first invalid items’ fields (`items[3].body`, `line 4: body`), at most 20.'),
  status: z.enum(Object.values(BatchStatus)),
});
export type BatchAcceptedBody = z.infer<typeof BatchAcceptedBody>;

/** `GET /v1/batches/{id}`. */
export const BatchBody = z.object({
  batchId: z.string(),
  task: z.string(),
  status: z.enum(Object.values(BatchStatus)),
  items: z.number().int(),
  counts: Counts,
  costUsd: z
    .number()
    .min(0)
    .describe('What the completed items cost so far (registry prices), in USD.'),
  createdAt: z.string().describe('ISO time the batch was accepted.'),
  finishedAt: z.string().optional(),
  itemsPerSecond: z
    .number()
    .min(0)
    .describe('Items ended per second since the batch was accepted (its observed rate).'),
  etaSeconds: z
    .number()
    .min(0)
    .optional()
    .describe('Items left ÷ the observed rate; absent before the first item ends and once done.'),
});
export type BatchBody = z.infer<typeof BatchBody>;

/** One line of `GET /v1/batches/{id}/results` (application/x-ndjson), in item order. */
export const BatchResultLine = z.object({
  index: z.number().int().min(0).describe('The item’s position in the submission, from 0.'),
  jobId: z.string().describe('The item’s job: `GET /v1/jobs/{jobId}` shows it whole.'),
  status: z.enum(BATCH_ITEM_STATUSES),
  output: z.unknown().optional().describe('completed: the validated output.'),
  problem: ProblemBody.optional().describe('failed or cancelled: why, as problem details.'),
});
export type BatchResultLine = z.infer<typeof BatchResultLine>;

/** `POST /v1/batches/{id}/cancel` → 202. */
export const BatchCancelBody = z.object({
  batchId: z.string(),
  status: z.enum(['cancelling', ...Object.values(BatchStatus)]),
});
export type BatchCancelBody = z.infer<typeof BatchCancelBody>;
