import { z } from 'zod';
import { RoutingSpec } from '../contracts/job';
import { DebugSamplesSetting } from './debug-samples';

/** A plan or tenant id: lower-case letters, digits and dashes, 1–63 characters. */
export const TenancyId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and dashes, 1–63');

/** `provider:model`, as in a task's route. */
const ModelRef = z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9._/-]+$/, 'expected provider:model');

/** Requests and tokens per minute, concurrent tasks. Absent = unlimited. */
export const LimitsSpec = z
  .object({
    requestsPerMinute: z.number().int().min(1).max(10_000_000),
    tokensPerMinute: z.number().int().min(1).max(10_000_000_000),
    concurrentTasks: z.number().int().min(1).max(1_000_000),
  })
  .partial()
  .strict();
export type LimitsSpec = z.infer<typeof LimitsSpec>;

/**
 * How long a tenant's closed jobs and their rows are kept, in days (docs/governance.md#retention):
 * 1 … 3650. Absent on a plan (or `null` on a tenant): kept until the namespace's retention
 * removes the histories and an erasure removes the rows.
 */
export const RetentionDays = z.number().int().min(1).max(3650);

/**
 * Sampled evaluation of live traffic (docs/evaluation.md): the share of a tenant's answered jobs
 * whose answer a verifier model scores for faithfulness and output moderation checks for safety,
 * afterwards, on the background queue. Its calls cost money (the evaluation's, not the tenant's
 * usage): a plan's setting or an operator's override, never a tenant admin's.
 */
export const EvaluationPolicy = z
  .object({
    /** 0 (off) … 1 (every answered job). */
    sampleRate: z.number().min(0).max(1),
    /** The verifier's `provider:model` candidates, tried in order. Absent: the answer's own model. */
    route: z.array(ModelRef).min(1).max(3).optional(),
    /** A verifier score below this is a hallucination (unfaithful). @default 0.7 */
    minScore: z.number().min(0).max(1).default(0.7),
  })
  .strict();
export type EvaluationPolicy = z.infer<typeof EvaluationPolicy>;

/** What happens when a model call would pass the month's budget. */
export const OverBudget = z.enum(['reject', 'downgrade', 'review']);
export type OverBudget = z.infer<typeof OverBudget>;
/** What a request over a limit of its tenant or key gets (docs/tenants.md). */
export const WhenLimited = z.enum(['refuse', 'cache', 'degrade']);
export type WhenLimited = z.infer<typeof WhenLimited>;

/**
 * How the plan's routes are ordered (docs/routing.md): a strategy for every task (`default`) and
 * per task (`tasks`, winning over `default`). Absent: the policy's, else the route's order.
 */
export const PlanRouting = z
  .object({
    default: RoutingSpec.optional(),
    tasks: z.record(z.string().min(1).max(100), RoutingSpec).optional(),
  })
  .strict();
export type PlanRouting = z.infer<typeof PlanRouting>;

/**
 * A plan, as data: which tasks its tenants may run and on which route, their limits, the monthly
 * budget and what happens past it, and the priority of their work.
 */
export const PlanDefinition = z
  .object({
    id: TenancyId,
    name: z.string().min(1).max(100),
    /** Tasks the plan allows; absent = every task. */
    tasks: z.array(z.string().min(1).max(100)).max(100).optional(),
    /** The route per task (replacing the task's own) when the caller gives none. */
    routes: z.record(z.string().min(1).max(100), z.array(ModelRef).min(1).max(10)).default({}),
    /**
     * Model aliases of `/v1/chat/completions` (`keel/fast` → a route), beside the built-in ones
     * (server/chat/chat-models.ts); a plan's alias of the same name replaces the built-in.
     */
    aliases: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/, 'like keel/fast'),
        z.array(ModelRef).min(1).max(10),
      )
      .default({}),
    /** Per tenant. */
    limits: LimitsSpec.default({}),
    /** Per API key, inside the tenant's. */
    keyLimits: LimitsSpec.default({}),
    /** USD per calendar month (UTC); null = no budget. */
    monthlyBudgetUsd: z.number().min(0).max(10_000_000).nullable().default(null),
    overBudget: OverBudget.default('reject'),
    /** 1 (lowest) … 5 (highest): which work goes first when capacity is short. */
    priority: z.number().int().min(1).max(5).default(3),
    /** Routing strategies, plan-wide and per task. */
    routing: PlanRouting.optional(),
    /**
     * Over a limit of the tenant or its key: `refuse` (429); `cache`: answer from the result
     * cache when an identical request was answered within the last day, else 429; `degrade`: run
     * the task's downgrades without a model call (the last good answer, the deterministic
     * fallback), marked `degraded`.
     */
    whenLimited: WhenLimited.default('refuse'),
    /** Days a tenant's closed jobs and their rows are kept; absent = no retention period. */
    retentionDays: RetentionDays.optional(),
    /** Sampled evaluation of its tenants' live answers; absent = off. */
    evaluation: EvaluationPolicy.optional(),
  })
  .strict();
export type PlanDefinition = z.infer<typeof PlanDefinition>;

/** What an admin may override per tenant, on top of its plan. */
export const TenantOverrides = z
  .object({
    limits: LimitsSpec,
    keyLimits: LimitsSpec,
    monthlyBudgetUsd: z.number().min(0).max(10_000_000).nullable(),
    overBudget: OverBudget,
    /** Moderation and rule policy overrides, as in KEEL_CONFIG's `policies.tenants`. */
    policy: z.record(z.string(), z.unknown()),
    /** Days its closed jobs and rows are kept, over the plan's; `null`: no retention period. */
    retentionDays: RetentionDays.nullable(),
    /** Debug samples, the tenant's opt-in (docs/debug-samples.md); `null` or absent: off. */
    debugSamples: DebugSamplesSetting.nullable(),
    /** Sampled evaluation, over the plan's; `null`: off whatever the plan says. */
    evaluation: EvaluationPolicy.nullable(),
  })
  .partial()
  .strict();
export type TenantOverrides = z.infer<typeof TenantOverrides>;

/** A tenant's retention period in days: its override, else its plan's; null = none. */
export function retentionDaysOf(
  plan: Pick<PlanDefinition, 'retentionDays'> | undefined,
  overrides: TenantOverrides,
): number | null {
  if (overrides.retentionDays !== undefined) return overrides.retentionDays;
  return plan?.retentionDays ?? null;
}

/** A tenant's sampled evaluation: its override, else its plan's; undefined = off. */
export function evaluationOf(
  plan: Pick<PlanDefinition, 'evaluation'> | undefined,
  overrides: TenantOverrides,
): EvaluationPolicy | undefined {
  const chosen = overrides.evaluation !== undefined ? overrides.evaluation : plan?.evaluation;
  return chosen && chosen.sampleRate > 0 ? chosen : undefined;
}

/** The plans Keel ships; an operator adds or changes plans through the admin API. */
export const SHIPPED_PLANS: readonly PlanDefinition[] = [
  PlanDefinition.parse({
    id: 'free',
    name: 'Free',
    tasks: ['classify-ticket', 'summarize'],
    routes: {
      'classify-ticket': ['openai:gpt-4o-mini', 'local:keel-local-1'],
      summarize: ['openai:gpt-4o-mini', 'local:keel-local-1'],
    },
    limits: { requestsPerMinute: 20, tokensPerMinute: 20_000, concurrentTasks: 2 },
    monthlyBudgetUsd: 1,
    overBudget: 'reject',
    priority: 1,
  }),
  PlanDefinition.parse({
    id: 'pro',
    name: 'Pro',
    limits: { requestsPerMinute: 600, tokensPerMinute: 1_000_000, concurrentTasks: 20 },
    keyLimits: { requestsPerMinute: 300 },
    monthlyBudgetUsd: 200,
    overBudget: 'downgrade',
    priority: 3,
  }),
  PlanDefinition.parse({
    id: 'enterprise',
    name: 'Enterprise',
    routes: {
      'extract-invoice': [
        'openai:gpt-4.1-mini',
        'anthropic:claude-sonnet-4-5',
        'openai:gpt-4o-mini',
        'local:keel-local-1',
      ],
      summarize: ['anthropic:claude-sonnet-4-5', 'openai:gpt-4.1-mini', 'local:keel-local-1'],
    },
    limits: { requestsPerMinute: 6_000, tokensPerMinute: 20_000_000, concurrentTasks: 200 },
    monthlyBudgetUsd: 10_000,
    overBudget: 'review',
    priority: 5,
  }),
  // The demo tenant's and the config file's tenants' plan unless they name one: what Keel did
  // before plans existed (no limit, no budget).
  PlanDefinition.parse({ id: 'unlimited', name: 'Unlimited', priority: 3 }),
];

export const DEFAULT_PLAN = 'unlimited';

/** A tenant's terms: its plan with the tenant's overrides applied. */
export interface TenantTerms {
  planId: string;
  tasks?: readonly string[];
  routes: Readonly<Record<string, readonly string[]>>;
  /** The plan's chat model aliases. */
  aliases: Readonly<Record<string, readonly string[]>>;
  limits: LimitsSpec;
  keyLimits: LimitsSpec;
  monthlyBudgetUsd: number | null;
  overBudget: OverBudget;
  priority: number;
  routing?: PlanRouting;
  whenLimited: WhenLimited;
}

export function tenantTerms(plan: PlanDefinition, overrides: TenantOverrides): TenantTerms {
  return {
    planId: plan.id,
    ...(plan.tasks ? { tasks: plan.tasks } : {}),
    routes: plan.routes,
    aliases: plan.aliases,
    limits: { ...plan.limits, ...overrides.limits },
    keyLimits: { ...plan.keyLimits, ...overrides.keyLimits },
    monthlyBudgetUsd:
      overrides.monthlyBudgetUsd !== undefined ? overrides.monthlyBudgetUsd : plan.monthlyBudgetUsd,
    overBudget: overrides.overBudget ?? plan.overBudget,
    priority: plan.priority,
    ...(plan.routing ? { routing: plan.routing } : {}),
    whenLimited: plan.whenLimited,
  };
}

/** USD → integer micro-USD (the ledger's unit). */
export const toMicros = (usd: number): number => Math.round(usd * 1_000_000);
export const fromMicros = (micros: number): number => micros / 1_000_000;

/** Shares of the monthly budget whose crossing raises an event (`budget.threshold`). */
export const BUDGET_THRESHOLDS = [0.8, 1] as const;

/** The thresholds a spend going from `before` to `after` crosses (micro-USD), lowest first. */
export function crossedThresholds(before: number, after: number, limit: number): number[] {
  return BUDGET_THRESHOLDS.filter((t) => before < t * limit && after >= t * limit);
}
