import { z } from 'zod';

/**
 * `GET /v1/admin/dashboard` (platform operator): what the operator dashboard (`GET /dashboard`)
 * draws. Request figures come from the answering API process's metrics registry (with the worker
 * inside it, as `npm start` runs, its model calls and validation too); cost and breakers from
 * stores every replica shares. docs/dashboard.md.
 */
const Ms = z.number().nullable().describe('Milliseconds; null when nothing was measured.');

export const DashboardBody = z.object({
  generatedAt: z.string(),
  windowSeconds: z.number().describe('The window the `inWindow`, rate and latency figures cover.'),
  process: z.object({
    embeddedWorker: z
      .boolean()
      .describe('The worker runs in this API process: model calls and validation counted here.'),
    startedAt: z.string().describe('Since when this process counts (the counters reset at start).'),
  }),
  requests: z.object({
    total: z.number().int().describe('`POST /v1/tasks/{task}` answers since this process started.'),
    byStatus: z.record(z.string(), z.number().int()),
    inWindow: z.number().int(),
    perSecond: z.number().nullable(),
  }),
  inFlight: z.number().int().describe('Tasks running as this API counts them for load shedding.'),
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
    .describe('One point per sample interval (2 s), the last 5 minutes, oldest first.'),
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
