import { z } from 'zod';
import { PII_TYPES, type PiiType } from '../guards/types';
import {
  DOWNGRADES,
  VALIDATION_ACTIONS,
  type Downgrade,
  type ValidationAction,
} from '../contracts/actions';
import { DEFAULT_REVIEW_POLICY, ReviewPolicy } from '../contracts/review';
import { RoutingSpec } from '../contracts/job';
import { DEFAULT_HEDGE, HedgePatch, type HedgePolicy } from './hedge';
import { applyDataPatch, DataPolicyPatch, type DataPolicy } from './data-policy';
import { applyValidationPatch, ValidationPolicyPatch, type ValidationPolicy } from './verifier';

/**
 * Moderation and rule limits are data, per task and per tenant. The worker resolves them once per
 * request (built-in defaults ← the config's `policies.default` ← the tenant's ← the tenant's
 * entry for the task) and the result is recorded in the workflow history with the plan.
 */

/** PII: `redact` (placeholders before an external model, values restored in the output), `flag`
 * (record only), `block` (input: 422 before any call; output: the answer is rejected), `allow`. */
export const PiiAction = z.enum(['redact', 'flag', 'block', 'allow']);
export type PiiAction = z.infer<typeof PiiAction>;
/**
 * Injection and toxicity: `block`, `flag` (record only), `review` (flag, and a person approves
 * the answer before it is returned) or `allow` (not scanned).
 */
export const ThreatAction = z.enum(['block', 'flag', 'review', 'allow']);
export type ThreatAction = z.infer<typeof ThreatAction>;

/**
 * Types redacted by default. Names and addresses are heuristic: flagged, not rewritten. A
 * diagnosis code, or a condition told as narrative, is what a task about it needs, and
 * identifies no one: flagged too (both still make a request `phi`, docs/governance.md).
 */
const FLAGGED_BY_DEFAULT: ReadonlySet<PiiType> = new Set([
  'person-name',
  'street-address',
  'diagnosis-code',
  'health-condition',
]);
export const DEFAULT_REDACTED_PII: readonly PiiType[] = PII_TYPES.filter(
  (t) => !FLAGGED_BY_DEFAULT.has(t),
);

/**
 * The model-based injection check (docs/injection-model-check.md): the input, as external models
 * see it, goes to a model on `route` that answers a verdict; it is billed like any call.
 */
export const InjectionModelCheck = z
  .object({
    /** `provider:model` candidates, tried in order until one gives a readable verdict. */
    route: z
      .array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9._:/-]+$/, 'expected provider:model'))
      .min(1)
      .max(3),
    /**
     * When no candidate gives a verdict (every call failed, or answered no readable verdict):
     * `closed` refuses the input as an injection, `open` lets it through with a reason in meta.
     */
    onFailure: z.enum(['open', 'closed']),
    /** A verdict of injection counts from this confidence on. @default 0.5 */
    threshold: z.number().min(0).max(1).default(0.5),
    /** One call's timeout (each candidate gets two attempts). @default 5000 */
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  })
  .strict();
export type InjectionModelCheck = z.infer<typeof InjectionModelCheck>;

export const ModerationPolicy = z
  .object({
    input: z
      .object({
        pii: PiiAction.default('redact'),
        /** Which detected types `redact` rewrites (and `block` refuses). */
        piiTypes: z.array(z.enum(PII_TYPES)).default([...DEFAULT_REDACTED_PII]),
        injection: ThreatAction.default('flag'),
        toxicity: ThreatAction.default('flag'),
      })
      .strict()
      .default({
        pii: 'redact',
        piiTypes: [...DEFAULT_REDACTED_PII],
        injection: 'flag',
        toxicity: 'flag',
      }),
    output: z
      .object({
        /** PII in the answer that the input did not contain (a model inventing or leaking it). */
        pii: PiiAction.default('redact'),
        /** Profanity in the answer that the input did not contain. */
        toxicity: ThreatAction.default('block'),
      })
      .strict()
      .default({ pii: 'redact', toxicity: 'block' }),
    thresholds: z
      .object({
        injection: z.number().min(0).max(1).default(0.5),
        toxicity: z.number().min(0).max(1).default(0.5),
        piiConfidence: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({ injection: 0.5, toxicity: 0.5, piiConfidence: 0.5 }),
    /** Optional layers of injection screening, beyond the rules (docs/injection-screening.md). */
    injection: z
      .object({
        /**
         * The statistical classifier trained in the repository joins the rules: recall up on
         * paraphrases the rules miss, at most ~1% more false positives. @default false
         */
        classifier: z.boolean().default(false),
        /** A model's verdict as well, when the rules did not flag the input (off unless named). */
        model: InjectionModelCheck.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ModerationPolicy = z.infer<typeof ModerationPolicy>;

/** One level of overrides: every key optional, nested objects merged key by key. */
export const PolicyPatch = z
  .object({
    /**
     * Overrides of the task's validation actions, keyed by rule id or by layer (`schema`,
     * `grounding`, `moderation`): e.g. `{"total-is-sum-of-amounts": "reject"}`.
     */
    actions: z.record(z.string().min(1), z.enum(VALIDATION_ACTIONS)).optional(),
    maxDiscountPercent: z.number().min(0).max(100).optional(),
    minConfidence: z.number().min(0).max(1).optional(),
    /** The downgrades, in order, replacing the task's (e.g. `["last-good", "review"]`). */
    degrade: z.array(z.enum(DOWNGRADES)).max(3).optional(),
    /** Review deadlines and what happens when both pass. */
    review: ReviewPolicy.partial().optional(),
    /** Hedged calls (`policy/hedge.ts`): off unless a policy turns them on. */
    hedge: HedgePatch.optional(),
    /** How the route's candidates are ordered (docs/routing.md); a plan's routing comes first. */
    routing: RoutingSpec.optional(),
    /**
     * The tenant's country (ISO 3166 alpha-2): the default country of phone numbers written
     * without a country code, for the PII detectors. @default 'US'
     */
    region: z
      .string()
      .regex(/^[A-Za-z]{2}$/)
      .transform((r) => r.toUpperCase())
      .optional(),
    /** The tenant's language (ISO 639-1, e.g. `de`): a second default country for phones. */
    language: z
      .string()
      .regex(/^[A-Za-z]{2}$/)
      .transform((l) => l.toLowerCase())
      .optional(),
    /** Data class, residency and the rules that route by them (docs/governance.md). */
    data: DataPolicyPatch.optional(),
    /** Optional validation layers beyond the task's: the verifier (docs/verifier.md). */
    validation: ValidationPolicyPatch.optional(),
    moderation: z
      .object({
        input: ModerationPolicy.shape.input.unwrap().partial().optional(),
        output: ModerationPolicy.shape.output.unwrap().partial().optional(),
        thresholds: ModerationPolicy.shape.thresholds.unwrap().partial().optional(),
        injection: ModerationPolicy.shape.injection.unwrap().partial().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type PolicyPatch = z.infer<typeof PolicyPatch>;

export const PoliciesConfig = z
  .object({
    default: PolicyPatch.optional(),
    tenants: z
      .record(
        z.string().min(1),
        PolicyPatch.extend({ tasks: z.record(z.string().min(1), PolicyPatch).optional() }).strict(),
      )
      .optional(),
  })
  .strict();
export type PoliciesConfig = z.infer<typeof PoliciesConfig>;

/** The policy one request runs under. */
export interface ResolvedPolicy {
  /** Validation actions overridden for this tenant and task, by rule id or layer. */
  actions: Record<string, ValidationAction>;
  maxDiscountPercent: number;
  minConfidence: number;
  moderation: ModerationPolicy;
  review: ReviewPolicy;
  /** Set when a policy overrides the task's downgrades. */
  degrade?: Downgrade[];
  /** Set when a policy names hedging (absent: no hedge, and nothing more in the plan). */
  hedge?: HedgePolicy;
  /** Set when a policy names a routing strategy (absent: the plan's, else `ordered`). */
  routing?: RoutingSpec;
  /** The tenant's country, for the PII detectors (`policies.default.region` sets the default). */
  region: string;
  /** The tenant's language, when a policy names one. */
  language?: string;
  /** Data class and residency routing; absent unless a policy names `data` (no routing rules). */
  data?: DataPolicy;
  /** Optional validation layers; absent unless a policy names a verifier. */
  validation?: ValidationPolicy;
}

export const BUILT_IN_POLICY: ResolvedPolicy = {
  actions: {},
  maxDiscountPercent: 15,
  minConfidence: 0.5,
  moderation: ModerationPolicy.parse({}),
  review: DEFAULT_REVIEW_POLICY,
  region: 'US',
};

function apply(base: ResolvedPolicy, patch: PolicyPatch | undefined): ResolvedPolicy {
  if (!patch) return base;
  const m = patch.moderation;
  return {
    actions: { ...base.actions, ...patch.actions },
    maxDiscountPercent: patch.maxDiscountPercent ?? base.maxDiscountPercent,
    minConfidence: patch.minConfidence ?? base.minConfidence,
    review: { ...base.review, ...patch.review },
    ...(patch.degrade ? { degrade: patch.degrade } : base.degrade ? { degrade: base.degrade } : {}),
    ...(patch.hedge || base.hedge
      ? { hedge: { ...DEFAULT_HEDGE, ...base.hedge, ...patch.hedge } }
      : {}),
    ...((patch.routing ?? base.routing) ? { routing: patch.routing ?? base.routing } : {}),
    region: patch.region ?? base.region,
    ...((patch.language ?? base.language) ? { language: patch.language ?? base.language } : {}),
    ...(patch.data
      ? { data: applyDataPatch(base.data, patch.data) }
      : base.data
        ? { data: base.data }
        : {}),
    ...withValidation(applyValidationPatch(base.validation, patch.validation)),
    moderation: {
      input: { ...base.moderation.input, ...m?.input },
      output: { ...base.moderation.output, ...m?.output },
      thresholds: { ...base.moderation.thresholds, ...m?.thresholds },
      // Absent unless a policy names it: plans recorded without it read the same.
      ...(m?.injection || base.moderation.injection
        ? { injection: { classifier: false, ...base.moderation.injection, ...m?.injection } }
        : {}),
    },
  };
}

/** Absent unless set: plans recorded without a verifier read the same. */
function withValidation(v: ValidationPolicy | undefined): { validation?: ValidationPolicy } {
  return v ? { validation: v } : {};
}

/** Built-in ← task defaults ← config default ← tenant ← tenant's task entry. */
export function resolvePolicy(args: {
  config: PoliciesConfig | undefined;
  tenantId: string;
  task: string;
  taskDefaults?: PolicyPatch;
}): ResolvedPolicy {
  const tenant = args.config?.tenants?.[args.tenantId];
  const { tasks, ...tenantPatch } = tenant ?? {};
  return [
    args.taskDefaults,
    args.config?.default,
    tenantPatch,
    tasks?.[args.task],
  ].reduce<ResolvedPolicy>((acc, patch) => apply(acc, patch), BUILT_IN_POLICY);
}
