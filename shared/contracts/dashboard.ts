import { z } from 'zod';

/**
 * `GET /v1/admin/dashboard` (platform operator): what the operator dashboard (`GET /dashboard`)
 * draws. Request, latency, validation and model-call figures sum every Keel process that shares
 * its metrics through the tenant store (the answering API's read live); cost and breakers come
 * from stores every replica shares. docs/dashboard.md.
 */
const Ms = z.number().nullable().describe('Milliseconds; null when nothing was measured.');

export const DashboardBody = z.object({
  generatedAt: z.string(),
  windowSeconds: z.number().describe('The window the `inWindow`, rate and latency figures cover.'),
  process: z.object({
    embeddedWorker: z
      .boolean()
      .describe('The worker runs in this API process (`npm start`), not in worker processes.'),
    startedAt: z.string().describe('Since when this process counts (the counters reset at start).'),
  }),
  processes: z
    .array(
      z.object({
        role: z
          .enum(['api', 'api+worker', 'worker'])
          .describe('An API process, one with the worker inside it, or a worker process.'),
        startedAt: z.string(),
        updatedAt: z
          .string()
          .describe('When its metrics were read: its last row, or now for this process.'),
        self: z.boolean().describe('The API process that answered.'),
      }),
    )
    .describe(
      'The processes the request, latency, validation and model-call figures sum: this one and every other whose metrics row in the tenant store is fresh (KEEL_METRICS_SHARE_MS).',
    ),
  requests: z.object({
    total: z
      .number()
      .int()
      .describe('`POST /v1/tasks/{task}` answers, summed over `processes`, each since it started.'),
    byStatus: z.record(z.string(), z.number().int()),
    inWindow: z.number().int(),
    perSecond: z.number().nullable(),
  }),
  inFlight: z
    .number()
    .int()
    .describe('Tasks running as the API processes count them for load shedding, summed.'),
  latencyAll: z
    .object({ requests: z.number().int(), p50Ms: Ms, p95Ms: Ms, p99Ms: Ms })
    .describe('Sync (200) answers of every task in the window.'),
  latency: z
    .array(
      z.object({
        task: z.string(),
        requests: z.number().int().describe('200 answers in the window.'),
        p50Ms: Ms,
        p95Ms: Ms,
        p99Ms: Ms,
      }),
    )
    .describe('Sync (200) answers per task, from the request histogram, interpolated in buckets.'),
  series: z
    .array(
      z.object({
        at: z.number().int().describe('Epoch milliseconds of the sample.'),
        requestsPerSecond: z.number(),
        p50Ms: Ms,
        p95Ms: Ms,
        p99Ms: Ms,
      }),
    )
    .describe(
      'One point per sample (every 2 s), each over the last max(2 s, KEEL_METRICS_SHARE_MS); the last 5 minutes, oldest first.',
    ),
  cost: z
    .object({
      from: z.string(),
      to: z.string(),
      costUsd: z.number(),
      jobs: z.number().int(),
      validAnswers: z.number().int(),
      costPerSuccessUsd: z.number().nullable(),
    })
    .nullable()
    .describe('From the usage ledger (every replica), the last hour; null if the store failed.'),
  validationFailures: z.array(
    z.object({
      task: z.string(),
      layer: z.string(),
      total: z.number().int(),
      inWindow: z.number().int(),
    }),
  ),
  modelCalls: z.array(
    z.object({
      provider: z.string(),
      model: z.string(),
      calls: z.number().int(),
      failures: z.number().int().describe('Outcomes other than `ok` and `cancelled`.'),
      inWindow: z.number().int(),
    }),
  ),
  breakers: z
    .array(
      z.object({
        provider: z.string(),
        model: z.string(),
        state: z.enum(['closed', 'open', 'half_open']),
        openedAt: z.string().optional(),
        requests: z.number().int(),
        failures: z.number().int(),
        errorRate: z.number(),
        p95Ms: Ms,
      }),
    )
    .describe('Every provider/model with a breaker entity (one that ever reported a call).'),
});
export type DashboardBody = z.infer<typeof DashboardBody>;
