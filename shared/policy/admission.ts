import { TaskOptions } from '../contracts/job';
import { FailureType, toFieldErrors, type FieldError } from '../contracts/errors';
import { resolvePolicy, type PoliciesConfig, type ResolvedPolicy } from './resolve-policy';
import { resolveRoute, type RouteCandidate } from './routing';
import { callTimeoutBoundsMs, type AnyTaskDefinition, type Downgrade } from '../tasks';

/** What a caller asked, as the workflow received it (`RunTaskRequest` minus its ids). */
export interface AdmissionRequest {
  task: string;
  tenantId: string;
  input: unknown;
  options?: TaskOptions;
  /** The tenant's plan for this job: its route replaces the task's when the caller names none. */
  tenancy?: { route?: readonly string[] };
}

/** Everything admission decides from; no I/O behind any of it. */
export interface AdmissionFacts {
  request: AdmissionRequest;
  /** The task registry (`findTask` in production). */
  findTask: (name: string) => AnyTaskDefinition | undefined;
  /** The model registry as configured (`shared/platform/model-registry`), as lookups. */
  registry: AdmissionRegistry;
  /** Provider slugs this worker can call (`local` always among them). */
  enabledProviders: ReadonlySet<string>;
  /** Epoch ms: the admission clock the job's latency is measured from. */
  now: number;
}

/** What admission reads from the configured registry. */
export interface AdmissionRegistry {
  /** Whether `provider:model` is a registered model. */
  hasModel(provider: string, model: string): boolean;
  /** Whether the provider is the built-in in-process one (by its type, never its name). */
  isInProcess(provider: string): boolean;
  policies: PoliciesConfig | undefined;
}

/** A route candidate as admission fixes it: in-process or external by the provider's type. */
export interface AdmittedCandidate extends RouteCandidate {
  inProcess: boolean;
}

/** What a request may do, decided once. */
export interface Admission {
  task: AnyTaskDefinition;
  /** The input after the task schema applied defaults and trimming. */
  input: unknown;
  options: TaskOptions;
  candidates: AdmittedCandidate[];
  /** The deterministic downgrade; absent when the caller opted out of degraded answers. */
  fallback?: AdmittedCandidate;
  /** Downgrades to try, in order, when every candidate fails. Empty when the caller opted out. */
  degrade: Downgrade[];
  /** Moderation and rule limits for this tenant and task. */
  policy: ResolvedPolicy;
  limits: {
    /** A Retry-After longer than this moves on to the next candidate instead of waiting. */
    retryAfterBudgetMs: number;
    /** How long a synchronous caller waits (the task's envelope): the route's deadline budget. */
    maxSyncMs: number;
    hardTimeoutMs: number;
    /** Bounds of one call's adaptive timeout. */
    callTimeoutMs: { minMs: number; maxMs: number };
  };
  admittedAt: number;
}

/** Why a request is refused: a stable failure type and the offending fields. */
export interface AdmissionRefusal {
  type: FailureType;
  message: string;
  errors: FieldError[];
}

export type AdmissionResult =
  { ok: true; admission: Admission } | { ok: false; refusal: AdmissionRefusal };

/** The deterministic downgrade: the task's own fallback, run by the built-in `local` provider. */
const LOCAL_FALLBACK: AdmittedCandidate = {
  provider: 'local',
  model: 'keel-local-1',
  inProcess: true,
};

/** The task's downgrades when neither it nor the policy names any. */
const DEFAULT_DEGRADE: readonly Downgrade[] = ['last-good', 'fallback'];

const refuse = (type: FailureType, message: string, errors: FieldError[]): AdmissionResult => ({
  ok: false,
  refusal: { type, message, errors },
});

/**
 * Admission: whether a request may run and on what terms. The task exists, its input matches the
 * task's schema, the options are valid, the route names models this deployment can call, and
 * the tenant's policy for the task; the limits follow from the task's envelope. Pure: the same
 * facts give the same answer, so the activity that calls it can be recorded and replayed.
 */
export function admit(facts: AdmissionFacts): AdmissionResult {
  const { request, registry } = facts;
  const task = facts.findTask(request.task);
  if (!task) return refuse(FailureType.UnknownTask, `Unknown task "${request.task}"`, []);
  const input = task.input.safeParse(request.input);
  if (!input.success) {
    return refuse(
      FailureType.InvalidInput,
      'Input does not match the task schema',
      toFieldErrors(input.error.issues, 'input'),
    );
  }
  const parsed = TaskOptions.safeParse(request.options ?? {});
  if (!parsed.success) {
    return refuse(
      FailureType.InvalidInput,
      'The options are not valid',
      toFieldErrors(parsed.error.issues, 'options'),
    );
  }
  const options = parsed.data;
  const route = resolveRoute({
    refs: options.route ?? request.tenancy?.route ?? task.route,
    explicit: !!options.route,
    enabledProviders: facts.enabledProviders,
    hasModel: (p, m) => registry.hasModel(p, m),
  });
  if (route.errors.length > 0 || route.candidates.length === 0) {
    return refuse(
      FailureType.UnknownModel,
      'The route names no model this deployment can call',
      route.errors.length
        ? route.errors
        : [{ field: 'options.route', message: 'no usable candidate' }],
    );
  }
  const policy = resolvePolicy({
    config: registry.policies,
    tenantId: request.tenantId,
    task: task.name,
    taskDefaults: task.policy,
  });
  const degraded = options.allowDegraded !== false;
  return {
    ok: true,
    admission: {
      task,
      input: input.data,
      options,
      // In-process or external is the provider's type, never its name.
      candidates: route.candidates.map((c) => ({
        ...c,
        inProcess: registry.isInProcess(c.provider),
      })),
      ...(degraded ? { fallback: LOCAL_FALLBACK } : {}),
      degrade: degraded ? [...(policy.degrade ?? task.degrade ?? DEFAULT_DEGRADE)] : [],
      policy,
      limits: {
        // A sync caller waits maxSyncMs at most: waiting longer on one vendor is worse than the next.
        retryAfterBudgetMs: task.envelope.maxSyncMs,
        maxSyncMs: task.envelope.maxSyncMs,
        hardTimeoutMs: task.envelope.hardTimeoutMs,
        callTimeoutMs: callTimeoutBoundsMs(task.envelope),
      },
      admittedAt: facts.now,
    },
  };
}
