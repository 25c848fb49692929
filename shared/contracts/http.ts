/**
 * The bodies of the HTTP API's answers as zod schemas: the server's controllers are typed with
 * them and the OpenAPI generator documents them, so the document says what the server sends.
 */
import { z } from 'zod';
import { Issue, JobStatus, JobStep, ResultMeta, ReviewAudit } from './job';
import { PROBLEM_BASE } from './problems';

export const FieldErrorBody = z.object({
  field: z.string().describe('Dotted path of the offending field, e.g. `input.body`.'),
  message: z.string(),
});

/** RFC 9457 problem details (application/problem+json), plus Keel's extension members. */
export const ProblemBody = z.looseObject({
  type: z.string().describe(`${PROBLEM_BASE}<slug>; the slug is stable.`),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional().describe('The request path.'),
  errors: z.array(FieldErrorBody).optional().describe('The offending fields.'),
  jobId: z.string().optional().describe('The job the problem is about.'),
  reasons: z
    .array(z.string())
    .optional()
    .describe('all-candidates-failed: why each candidate failed.'),
  reviewer: z.string().optional().describe('review-rejected: who rejected the answer.'),
  comment: z.string().optional().describe('review-rejected: the reviewer’s comment.'),
  limit: z.number().int().optional().describe('overloaded: the deployment’s in-flight limit.'),
  limitBytes: z.number().int().optional().describe('payload-too-large: the body limit.'),
  rateLimit: z
    .string()
    .optional()
    .describe('rate-limited: the refusing policy, as in `RateLimit-Policy` (`tenant-requests`).'),
  plan: z.string().optional().describe('task-not-in-plan, budget-exceeded: the tenant’s plan.'),
  budget: z
    .object({
      period: z.string(),
      limitUsd: z.number(),
      spentUsd: z.number(),
      reservedUsd: z.number(),
    })
    .optional()
    .describe('budget-exceeded: the month’s budget and where it stands.'),
  checks: z
    .record(z.string(), z.string())
    .optional()
    .describe('not-ready: each readiness check, `ok` or why not.'),
});
export type ProblemBody = z.infer<typeof ProblemBody>;

/** `POST /v1/tasks/{task}` → 200: the validated answer within the sync budget. */
export const taskCompletedBody = <T extends z.ZodType>(output: T) =>
  z.object({
    jobId: z.string(),
    status: z.literal(JobStatus.completed),
    output,
    meta: ResultMeta,
  });

/** The 200 body whatever the task (its output checked by the task's own schema). */
export type TaskCompletedBody = z.infer<ReturnType<typeof taskCompletedBody<z.ZodUnknown>>>;

/** `POST /v1/tasks/{task}` → 202: still running, or waiting for a reviewer; poll the Location. */
export const TaskAcceptedBody = z.object({
  jobId: z.string(),
  status: z.enum([JobStatus.running, JobStatus.awaitingReview]),
});
export type TaskAcceptedBody = z.infer<typeof TaskAcceptedBody>;

/** `GET /v1/jobs/{id}` → 200. */
export const JobBody = z.object({
  jobId: z.string(),
  task: z.string(),
  status: z.enum(Object.values(JobStatus)),
  output: z.unknown().optional().describe('When completed: the validated answer.'),
  meta: ResultMeta.optional(),
  error: ProblemBody.optional().describe('When failed, cancelled or timed out: why.'),
  steps: z.array(JobStep).optional(),
});
export type JobBody = z.infer<typeof JobBody>;

const ReviewGroup = z.enum(['reviewers', 'escalation']);

/** One pending review as `GET /v1/reviews` lists it. */
export const ReviewListItemBody = z.object({
  jobId: z.string(),
  task: z.string(),
  reasons: z.array(z.string()).describe('Why the task went to review.'),
  requestedAt: z.string().describe('ISO time the review was requested.'),
  deadlineAt: z.string().describe('ISO time of the current deadline.'),
  group: ReviewGroup.describe('Who decides now.'),
  ageMs: z.number().int().min(0),
});
export type ReviewListItemBody = z.infer<typeof ReviewListItemBody>;

/** `GET /v1/reviews` → 200, oldest first. */
export const ReviewListBody = z.object({ items: z.array(ReviewListItemBody) });
export type ReviewListBody = z.infer<typeof ReviewListBody>;

/** `GET /v1/reviews/{jobId}` → 200: everything a reviewer sees for one item. */
export const ReviewItemBody = z.object({
  jobId: z.string(),
  task: z.string(),
  reasons: z.array(z.string()).describe('Why the task went to review.'),
  requestedAt: z.number().int().describe('Epoch ms the review was requested.'),
  deadlineAt: z.number().int().describe('Epoch ms of the current deadline.'),
  group: ReviewGroup.describe('Who decides now.'),
  input: z.unknown().describe('The input, with PII masked as the tenant’s policy says.'),
  proposed: z.unknown().describe('The answer to approve, reject or edit.'),
  validation: z.record(z.string(), z.unknown()).optional(),
  issues: z.array(Issue),
  decided: z.boolean(),
});
export type ReviewItemBody = z.infer<typeof ReviewItemBody>;

/** `POST /v1/reviews/{jobId}` → 200: the accepted decision's audit record. */
export const ReviewDecisionResultBody = ReviewAudit;
export type ReviewDecisionResultBody = z.infer<typeof ReviewDecisionResultBody>;

const BreakerStateBody = z.enum(['closed', 'open', 'half_open']);

/** One provider/model in `GET /v1/providers`. */
export const ProviderHealthBody = z.object({
  provider: z.string(),
  model: z.string(),
  state: BreakerStateBody,
  openedAt: z.number().int().optional().describe('Epoch ms the circuit opened.'),
  stats: z.object({
    requests: z.number().int(),
    failures: z.number().int(),
    errorRate: z.number(),
    slowRate: z.number(),
    latencyMs: z.object({
      p50: z.number().nullable(),
      p95: z.number().nullable(),
      p99: z.number().nullable(),
    }),
  }),
  transitions: z.array(
    z.object({
      at: z.number().int(),
      from: BreakerStateBody,
      to: BreakerStateBody,
      reason: z.string(),
    }),
  ),
  timeoutMs: z
    .record(z.string(), z.number().int())
    .describe('Per task: the call timeout a task would get now, for a nominal 500-token prompt.'),
});

/** `GET /v1/providers` → 200. */
export const ProvidersBody = z.object({ providers: z.array(ProviderHealthBody) });
export type ProvidersBody = z.infer<typeof ProvidersBody>;

/** `GET /healthz` → 200. */
export const LivenessBody = z.object({ status: z.literal('ok') });
export type LivenessBody = z.infer<typeof LivenessBody>;

/** `GET /readyz` → 200. */
export const ReadinessBody = z.object({
  status: z.literal('ready'),
  checks: z.record(z.string(), z.string()),
  taskQueue: z.string(),
  namespace: z.string(),
});
export type ReadinessBody = z.infer<typeof ReadinessBody>;
