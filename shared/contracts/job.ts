import { z } from 'zod';
import { VALIDATION_ACTIONS } from './actions';
import { ROUTE_REASONS } from './route-reasons';
import { DATA_CLASSES } from '../policy/data-policy';

export const JobStatus = {
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  timedOut: 'timed_out',
  /** Waiting for a reviewer's decision (human review). */
  awaitingReview: 'awaiting_review',
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

export const VALIDATION_LAYERS = ['schema', 'rules', 'grounding', 'moderation'] as const;
export type ValidationLayer = (typeof VALIDATION_LAYERS)[number];

export const Issue = z.object({
  field: z.string().describe('Output field, e.g. `lineItems.1.amount`; `(output)` for the whole.'),
  message: z.string(),
  rule: z.string().optional().describe('Rule id, `grounding`, or the moderation check.'),
});
export type Issue = z.infer<typeof Issue>;

export const LayerOutcome = z.object({
  status: z
    .enum(['passed', 'repaired', 'flagged', 'failed', 'skipped'])
    .describe('repaired: a safe fix was applied (clamp, masking); flagged: recorded, not changed.'),
  detail: z.string().optional(),
  issues: z.array(Issue).optional(),
});
export type LayerOutcome = z.infer<typeof LayerOutcome>;

export const ValidationMeta = z
  .object({
    schema: LayerOutcome,
    rules: LayerOutcome,
    grounding: LayerOutcome,
    moderation: LayerOutcome,
    parse: z
      .enum(['object', 'none', 'fence', 'extracted'])
      .describe(
        'How the answer was read: a structured object, plain JSON text, a ```json fence, or JSON cut out of prose.',
      ),
    verifier: z
      .object({
        score: z.number().min(0).max(1).optional(),
        passed: z.boolean(),
        model: z
          .string()
          .describe(
            'The verifier that scored the answer, `provider:model`; without a verdict, the route.',
          ),
        costUsd: z.number().min(0).describe('What the verifier calls cost (also in `costUsd`).'),
        unsupported: z.array(z.string()).optional(),
        failedOpen: z
          .boolean()
          .optional()
          .describe('No verdict came back and the policy fails open: the answer was not scored.'),
      })
      .optional()
      .describe('The verifier layer (docs/verifier.md), when a policy turns it on.'),
    rejected: z
      .array(
        z.object({
          candidate: z.string(),
          layer: z.enum([...VALIDATION_LAYERS, 'verifier']),
          action: z.enum(VALIDATION_ACTIONS),
          issues: z.array(Issue),
        }),
      )
      .describe('Earlier answers that failed a layer, and what was done about each.'),
  })
  .describe('Each layer’s outcome for the answer returned, and the answers rejected before it.');
export type ValidationMeta = z.infer<typeof ValidationMeta>;

const Detection = z.object({ type: z.string(), count: z.number().int().min(1) });
const Screen = z.object({
  score: z.number().min(0).max(1),
  action: z.enum(['none', 'flagged', 'blocked', 'allowed']),
  kinds: z.array(z.string()).optional(),
});

export const ModerationMeta = z
  .object({
    input: z.object({
      pii: z.object({
        found: z.array(Detection),
        action: z.enum(['none', 'redacted', 'flagged', 'blocked', 'allowed']),
      }),
      injection: Screen,
      toxicity: Screen,
    }),
    output: z
      .object({
        pii: z.object({
          found: z.array(Detection),
          action: z.enum(['none', 'redacted', 'flagged', 'blocked', 'allowed']),
        }),
        toxicity: Screen,
        restored: z
          .number()
          .int()
          .min(0)
          .describe('Input placeholders put back into the output (values the task needs).'),
      })
      .optional(),
  })
  .describe('What was detected (types and counts, never values) and what was done.');
export type ModerationMeta = z.infer<typeof ModerationMeta>;

export const ReviewDecisionKind = z.enum(['approve', 'reject', 'edit']);

/** The decision's audit record, in the result's meta and in the history. */
export const ReviewAudit = z.object({
  decision: ReviewDecisionKind,
  reviewer: z.string(),
  decidedAt: z.string().describe('ISO time the decision was accepted.'),
  comment: z.string().optional(),
  changes: z
    .array(z.object({ path: z.string(), before: z.unknown(), after: z.unknown() }))
    .describe('What the reviewer changed in the proposed output (edit only).'),
  reasons: z.array(z.string()).describe('Why the task went to review.'),
  group: z.enum(['reviewers', 'escalation']).describe('Which group decided.'),
});
export type ReviewAudit = z.infer<typeof ReviewAudit>;

export const ResultMeta = z.object({
  provider: z.string(),
  model: z.string(),
  promptVersion: z.string(),
  attempts: z
    .number()
    .int()
    .min(0)
    .describe('Model calls made, across candidates and retries (0 for a cache hit).'),
  path: z.enum(Object.values(ResultPath)),
  reasons: z.array(z.string()).describe('Why the path is not `primary`, one line per failure.'),
  reasonCodes: z
    .array(z.enum(ROUTE_REASONS).nullable())
    .optional()
    .describe(
      "One per `reasons` line, in the same order: the line's route reason as a stable code (why a candidate did not answer, or why the route gave up), null for a line that is no route reason (a check that failed open, the last good answer served). Read these, not the wording of `reasons`, which may change. Absent on results recorded before the codes existed.",
    ),
  validation: ValidationMeta,
  moderation: ModerationMeta,
  latencyMs: z.number().int().min(0).describe('From admission to the recorded result.'),
  providerMs: z
    .number()
    .int()
    .min(0)
    .describe(
      'Time spent waiting on model providers: every call that answered, and the last attempt of each failed one.',
    ),
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
  interrupted: z
    .object({
      calls: z.number().int().min(1),
      costUsd: z
        .number()
        .min(0)
        .describe(
          "What the tenant is charged for them, not in costUsd or tokens: the vendor's bill where the dying worker had recorded it, else the worst case reserved for the call (an upper bound).",
        ),
    })
    .optional()
    .describe(
      "Model calls of this task whose result never reached it (their worker died mid-call, or after the vendor's answer was billed) and that were made again; counted in attempts. Absent when none.",
    ),
  policy: z
    .object({
      dataClass: z.enum(DATA_CLASSES).describe('The most sensitive of `classes`.'),
      classes: z.array(z.enum(DATA_CLASSES)),
      declared: z.enum(DATA_CLASSES).describe('The class the policy declares for the request.'),
      detected: z
        .array(z.string())
        .describe(
          'The types input screening found that raise the class: PII a model would have been sent in clear, and health data (phi) whether redacted or not.',
        ),
      residency: z.string().optional().describe('The tenant’s residency region.'),
      skipped: z
        .array(z.object({ candidate: z.string(), rule: z.string() }))
        .describe('Candidates the data policy did not call, and the rule each broke.'),
    })
    .optional()
    .describe(
      'The data policy’s verdict (docs/governance.md); absent when no policy names `data`.',
    ),
  review: ReviewAudit.optional().describe(
    'When a person decided: who, when, what changed, and why the task went to review.',
  ),
  cache: z
    .object({ jobId: z.string(), ageMs: z.number().int().min(0) })
    .optional()
    .describe('A cache hit (options.cacheTtlMs): the job that produced the answer, and its age.'),
  lastGood: z
    .object({ jobId: z.string(), ageMs: z.number().int().min(0) })
    .optional()
    .describe('When degraded to the last good answer for the same input: which job, and how old.'),
  longDocument: z
    .object({
      chunks: z.number().int().min(1).describe('Chunks the source was split into.'),
      mapCalls: z
        .number()
        .int()
        .min(1)
        .describe('Child jobs over a chunk (`answer`: over a pack of pieces).'),
      rounds: z
        .number()
        .int()
        .min(1)
        .describe('Map rounds: 2 or more when the joined partial summaries were still too long.'),
      abstained: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe(
          '`answer`: map jobs whose partial answer abstained (dropped). When every one did, no reduce job ran and the answer is the abstention.',
        ),
      children: z
        .array(
          z.object({
            jobId: z.string(),
            step: z.enum(['map', 'reduce']),
            path: z.enum(Object.values(ResultPath)),
            costUsd: z.number().min(0),
          }),
        )
        .describe('Every child job (GET /v1/jobs/{id} reads each), maps first, the reduce last.'),
    })
    .optional()
    .describe(
      'A long document (text past the single-call limit): chunk → map → reduce. The output is the reduce job’s, checked once more against the whole source; costs, tokens and attempts sum every child.',
    ),
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
    review: z
      .enum(['always'])
      .optional()
      .describe('`always`: a reviewer must approve (or edit) the answer before it is returned.'),
    cacheTtlMs: z
      .number()
      .int()
      .min(1)
      .max(86_400_000)
      .optional()
      .describe(
        "Serve an identical earlier request's validated answer if it is at most this old (ms, ≤ 1 day): no model call, no workflow, meta.path `cache`. Shared by every API process with KEEL_REDIS_URL, else per API process.",
      ),
    allowDegraded: z
      .boolean()
      .optional()
      .describe(
        "When every candidate fails, answer with the task's deterministic fallback (meta.path degraded). Default true; false prefers an error.",
      ),
    singleFlight: z
      .boolean()
      .optional()
      .describe(
        'Share one job (one model call) with identical requests of this tenant running at the same moment, on any replica with KEEL_REDIS_URL: same task, prompt version, input, route and allowDegraded. Every caller gets the same answer; header x-keel-single-flight says `leader` or `joined`. A joined caller is not billed or counted again. Ignored with Idempotency-Key or review. Default false.',
      ),
    debounce: z
      .object({
        key: z.string().min(1).max(200).describe("The caller's name for a stream of requests."),
        ms: z.number().int().min(1).max(10_000).describe('The quiet window, 1–10,000 ms.'),
      })
      .strict()
      .optional()
      .describe(
        'Keystroke-style callers: of the requests with this key (per tenant), one runs only when no later one arrives within `ms`; each earlier one is answered 409 `superseded` as soon as the next arrives. The last one waits `ms`, then runs.',
      ),
  })
  .strict();
export type TaskOptions = z.infer<typeof TaskOptions>;

/**
 * How a route's candidates are ordered for one job (`shared/policy/route-strategy.ts`,
 * docs/routing.md): `ordered` as listed, `weighted` (a draw picks the first by weight, the rest
 * follow as fallbacks), `lowest-latency` (observed p50), `lowest-cost` (registry prices).
 */
export const RouteStrategy = z.enum(['ordered', 'weighted', 'lowest-latency', 'lowest-cost']);
export type RouteStrategy = z.infer<typeof RouteStrategy>;

export const RoutingSpec = z
  .object({
    strategy: RouteStrategy,
    /**
     * `weighted` only: relative weight per `provider:model`. A candidate not named weighs 0 (a
     * fallback, never first). Absent: equal weights.
     */
    weights: z
      .record(
        z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9._:/-]+$/, 'expected provider:model'),
        z.number().min(0).max(1_000_000),
      )
      .optional(),
  })
  .strict();
export type RoutingSpec = z.infer<typeof RoutingSpec>;

/** The workflow's single argument. Small: ids, the validated input, options. */
export interface RunTaskRequest {
  task: string;
  tenantId: string;
  requestId: string;
  input: unknown;
  options: TaskOptions;
  /** The tenant's terms for this job, fixed by the API at admission (absent: no plan applies). */
  tenancy?: JobTenancy;
}

/** What the tenant's plan says for one job: its route, its budget, who is billed. */
export interface JobTenancy {
  /** The API key that asked: the usage ledger's `key`. */
  keyId?: string;
  planId: string;
  /** The plan's route for this task, used when the caller names none. */
  route?: string[];
  /** The month's budget in micro-USD and what happens past it; absent: no budget. */
  budget?: { limitMicros: number; overBudget: 'reject' | 'downgrade' | 'review' };
  /**
   * The job holds a concurrency slot until it ends: the workflow releases it in a last activity
   * (`closeTenancy`). Absent: no slot to release.
   */
  holdsSlot?: boolean;
  /** The plan's priority, 1 (lowest) … 5 (highest): which work goes first when capacity is short. */
  priority?: number;
  /** The plan's routing strategy for this task (absent: the policy's, else `ordered`). */
  routing?: RoutingSpec;
  /**
   * The limit the request was over (`tenant-requestsPerMinute`, …) when its plan degrades instead
   * of refusing: no candidate is called, the task's downgrades answer.
   */
  limited?: string;
}

export interface RunTaskResult {
  output: unknown;
  meta: ResultMeta;
  /** The steps, kept with the result so reading a finished job needs no worker. */
  steps?: JobStep[];
}
