import { ApplicationFailure } from '@temporalio/common';
import { canonicalJson } from '../../shared/contracts/canonical-json';
import { FailureType } from '../../shared/contracts/errors';
import type { ResultMeta, RunTaskRequest } from '../../shared/contracts/job';
import type { PlannedCandidate } from '../../shared/policy/routing';
import { adaptiveTimeoutMs, type WindowStats } from '../../shared/policy/breaker';
import {
  applyRouteStrategy,
  estimatedCallUsd,
  type RouteChoice,
} from '../../shared/policy/route-strategy';
import { hedgeDelayMs, planHedges } from '../../shared/policy/hedge';
import { findModel, isInProcess, type ModelRegistry } from '../../shared/platform/model-registry';
import { decideDataPolicy, type DataDecision } from '../../shared/policy/data-policy';
import type { KeelFileConfig } from '../../shared/platform/config-file';
import type { ProviderHealth } from '../../shared/platform/provider-health';
import type { LastGoodAnswer, LastGoodAnswers } from '../../shared/platform/last-good';
import {
  callOutputCap,
  findTask,
  type AnyTaskDefinition,
  type Downgrade,
} from '../../shared/tasks';
import type { Logger } from '../../shared/platform/logger';
import { jobCompletedAudit } from '../events/job-audit';
import { jobCompleted } from '../events/job-events';
import type { PublishEvent } from '../events/publish';
import type { Limiter } from '../../shared/tenancy/limits';
import type { TenantStore } from '../../shared/tenancy/store';
import type { DriftMonitor } from '../../shared/observability/drift-monitor';
import type { DriftObservation } from '../../shared/observability/observation';
import { choosePrompt } from './choose-prompt';
import { inputKeyOf } from './input-key';
import type { ResolvedPolicy } from '../../shared/policy/resolve-policy';
import { admit } from '../../shared/policy/admission';
import { promptTokens } from '../../shared/tasks/prompt-tokens';
import { screenInput, type InputScreening } from '../guards/screen-input';
import { validateAnswer, type ValidateArgs, type Validation } from '../guards/validation';
import { recordAnswerPath, recordValidationFailure } from '../../shared/platform/metrics';

export interface PipelineDeps {
  logger: Logger;
  /** Provider slugs this worker can call (e.g. `local`, `openai`). */
  providers: ReadonlySet<string>;
  registry: KeelFileConfig;
  now: () => number;
  health?: ProviderHealth;
  /** Finds the last good answer for a degraded task; without it, only the fallback degrades. */
  lastGood?: LastGoodAnswers;
  /** HMAC key for KeelInputKey. */
  inputKeySecret: string;
  /** The tenant store: each billed job's outcome (valid answers, for cost per success). */
  store?: TenantStore;
  /** The tenants' limits: a job's concurrency slot is freed when it ends. */
  limiter?: Limiter;
  /** Writes `job.completed` to the event log (streams, webhooks). */
  publish?: PublishEvent;
  /** [0, 1) for the `weighted` routing draw (recorded in the plan). @default Math.random */
  random?: () => number;
  /** Drift detection: stores each task's observation (docs/drift.md). */
  drift?: DriftMonitor;
  /** Shadow tests and sampled evaluation: offered each job answered by a model; never throws. */
  answered?: (job: { jobId: string; tenantId: string; task: string }) => Promise<unknown>;
}

/** Everything the workflow needs to run a task, decided once and recorded in history. */
export interface TaskPlan {
  candidates: PlannedCandidate[];
  /** The deterministic downgrade when every candidate fails; absent when the caller opted out. */
  fallback?: PlannedCandidate;
  /** A Retry-After longer than this moves on to the next candidate instead of waiting. */
  retryAfterBudgetMs: number;
  /** The prompt version the job runs with: the built-in one (`classify-ticket@1`) or a registry id. */
  promptVersion: string;
  /**
   * Set (to `promptVersion`) when that is a registry version (docs/prompt-registry.md): the model
   * call loads its text by this id. Absent for the task's built-in prompt and in older histories.
   */
  promptId?: string;
  /** The task's sync envelope, divided between the candidates. Absent in older histories. */
  maxSyncMs?: number;
  hardTimeoutMs: number;
  /** Epoch ms when the request was admitted; the clock comes from here, not from workflow code. */
  admittedAt: number;
  /**
   * The input after the schema applied defaults and trimming. From `prepareTask`, absent
   * (undefined) when it equals the request's input: the workflow takes that one.
   */
  input: unknown;
  /** Prompt tokens counted before any call (o200k tokenizer), for budgets. */
  estimatedInputTokens: number;
  /** HMAC of task, prompt version and normalised input (see SearchAttr.inputKey). */
  inputKey: string;
  /** Downgrades to try, in order, when every candidate fails. Empty when the caller opted out. */
  degrade: Downgrade[];
  /** Moderation and rule limits for this tenant and task, as resolved at admission. */
  policy: ResolvedPolicy;
  /** How the candidates were ordered and why (docs/routing.md); absent when no strategy is set. */
  routing?: RouteChoice;
  /**
   * The data policy's verdict (docs/governance.md): the request's class, the candidates it
   * skipped and why, or the whole request denied. Absent unless a policy names `data`.
   */
  dataPolicy?: DataDecision;
}

export type ValidationResult = Validation;

const BOOKKEEPING_TIMEOUT_MS = 10_000;

export function requireTask(name: string): AnyTaskDefinition {
  const task = findTask(name);
  if (!task) {
    throw ApplicationFailure.nonRetryable(`Unknown task "${name}"`, FailureType.UnknownTask);
  }
  return task;
}

export function createPipelineActivities(deps: PipelineDeps) {
  const activities = {
    /**
     * Admit: the one admission decision (`admit`, pure), recorded as this activity's result with
     * what only the worker knows at this moment: each candidate's timeout and circuit state from
     * provider health, the prompt's token count, the input key. No model call yet.
     */
    async admitRequest(request: RunTaskRequest): Promise<TaskPlan> {
      const now = deps.now();
      const result = admit({
        request,
        findTask,
        registry: {
          hasModel: (provider, model) => !!findModel(deps.registry, provider, model),
          isInProcess: (provider) => isInProcess(deps.registry, provider),
          policies: deps.registry.policies,
        },
        enabledProviders: deps.providers,
        now,
      });
      if (!result.ok) {
        const { type, message, errors } = result.refusal;
        throw ApplicationFailure.nonRetryable(message, type, ...(errors.length ? [errors] : []));
      }
      const { task, input, limits } = result.admission;
      const prompt = await choosePrompt(deps.store, task, request);
      const estimatedInputTokens = promptTokens(task, input, prompt.version);
      const delays = new Map<PlannedCandidate, number | undefined>();
      const latency = new Map<PlannedCandidate, WindowStats>();
      const timed = await Promise.all(
        result.admission.candidates.map(async (c): Promise<PlannedCandidate> => {
          if (!deps.health || c.inProcess) return { ...c, timeoutMs: limits.callTimeoutMs.maxMs };
          const health = await deps.health.view(c.provider, c.model, now);
          const open =
            health.state === 'open' && now - (health.openedAt ?? now) < deps.health.settings.openMs;
          const timeoutMs = adaptiveTimeoutMs(health.stats, {
            ...limits.callTimeoutMs,
            minRequests: deps.health.settings.minRequests,
            estimatedInputTokens,
          });
          const planned = {
            ...c,
            timeoutMs,
            ...(open ? { skip: 'circuit open', skipCode: 'circuit-open' as const } : {}),
          };
          const minRequests = deps.health.settings.minRequests;
          latency.set(planned, health.stats);
          delays.set(
            planned,
            hedgeDelayMs(health.stats, { minRequests, estimatedInputTokens, timeoutMs }),
          );
          return planned;
        }),
      );
      const { fallback, degrade, policy } = result.admission;
      // The caller's own route is tried as given; else the plan's strategy, else the policy's.
      const routing = request.options.route
        ? undefined
        : (request.tenancy?.routing ?? policy.routing);
      const routed = applyRouteStrategy(timed, routing, {
        draw: (deps.random ?? Math.random)(),
        minRequests: deps.health?.settings.minRequests ?? 1,
        latencyOf: (c) => {
          const stats = latency.get(c);
          return stats && { requests: stats.requests, ...stats.latencyMs };
        },
        costOf: (c) => {
          const entry = findModel(deps.registry, c.provider, c.model);
          return entry
            ? estimatedCallUsd(entry.price, {
                input: estimatedInputTokens,
                maxOutput: callOutputCap(task, entry.capabilities.maxOutputTokens),
              })
            : undefined;
        },
      });
      // Over a limit of a plan that degrades (whenLimited: degrade): nothing is called.
      const limited = request.tenancy?.limited;
      const allowed = limited
        ? routed.candidates.map((c) => ({
            ...c,
            skip: `not called: the ${limited} limit is reached`,
            skipCode: 'limit-reached' as const,
          }))
        : routed.candidates;
      // Hedges only where the tenant's policy for the task turns them on (off by default).
      const candidates = planHedges(allowed, {
        policy: policy.hedge,
        outputPriceOf: (c) => findModel(deps.registry, c.provider, c.model)?.price.output ?? 0,
        delayOf: (c) => delays.get(c),
      });
      return {
        candidates,
        fallback: fallback ? { ...fallback, timeoutMs: BOOKKEEPING_TIMEOUT_MS } : undefined,
        retryAfterBudgetMs: limits.retryAfterBudgetMs,
        promptVersion: prompt.id,
        ...(prompt.version ? { promptId: prompt.id } : {}),
        maxSyncMs: limits.maxSyncMs,
        hardTimeoutMs: limits.hardTimeoutMs,
        admittedAt: result.admission.admittedAt,
        input,
        estimatedInputTokens,
        inputKey: inputKeyOf({
          secret: deps.inputKeySecret,
          task: task.name,
          promptVersion: prompt.id,
          input,
        }),
        degrade,
        policy,
        ...(routing ? { routing: routed.choice } : {}),
      };
    },

    /** Screen: PII, prompt injection and toxicity in the input, per policy. No model call. */
    screenInput(args: { input: unknown; policy: ResolvedPolicy }): Promise<InputScreening> {
      return Promise.resolve(screenInput(args.input, args.policy));
    },

    /** Degrade: the newest good answer to the same request, if any (visibility lookup). */
    async findLastGood(args: {
      tenantId: string;
      inputKey: string;
      excludeJobId: string;
    }): Promise<LastGoodAnswer | undefined> {
      return deps.lastGood?.find({ ...args, now: deps.now() });
    },

    /** Validate, in layers: parse and schema, business rules, grounding, output moderation. */
    validateOutput(args: ValidateArgs & { task: string }): Promise<ValidationResult> {
      const { task, ...rest } = args;
      const result = validateAnswer(requireTask(task), rest);
      // A reviewer's refused edit is a person's, not a model's failure.
      if (result.failed && !rest.reviewerEdit)
        recordValidationFailure(task, result.failed.layer, result.failed.issues);
      return Promise.resolve(result);
    },

    /** Record: stamp latency and write the audit line (ids and numbers only, never content). */
    async recordResult(args: {
      jobId: string;
      tenantId: string;
      task: string;
      admittedAt: number;
      meta: Omit<ResultMeta, 'latencyMs'>;
      /** The job is billed to a tenant's plan: its outcome goes to the usage ledger. */
      billed?: { keyId?: string };
      /** What drift detection keeps of this task (flags and numbers, never content). */
      observation?: DriftObservation;
    }): Promise<ResultMeta> {
      const meta: ResultMeta = {
        ...args.meta,
        latencyMs: Math.max(0, deps.now() - args.admittedAt),
      };
      if (args.billed && deps.store) {
        await deps.store.recordJobOutcome({
          jobId: args.jobId,
          tenantId: args.tenantId,
          keyId: args.billed.keyId ?? null,
          task: args.task,
          provider: meta.provider,
          model: meta.model,
          // What the tenant paid for: a validated model answer, not a downgrade.
          valid: meta.path !== 'degraded',
          status: 'completed',
          completedAt: deps.now(),
          promptVersion: meta.promptVersion,
          path: meta.path,
          latencyMs: meta.latencyMs,
          // The structured record of rejected answers, not the wording of `reasons`.
          reasked: meta.validation.rejected.some((r) => r.action === 're-ask'),
        });
      }
      // The admission, route, verdicts and cost in the tenant's audit trail (docs/audit.md).
      await deps.store?.audit.append(
        jobCompletedAudit({ ...args, keyId: args.billed?.keyId ?? null }),
        deps.now(),
      );
      await deps.publish?.(jobCompleted({ ...args, meta }));
      // Best effort: a lost observation must not fail the task it describes.
      if (args.observation)
        await deps.drift
          ?.observe(args.tenantId, args.observation)
          .catch((err: unknown) =>
            deps.logger.warn({ err, jobId: args.jobId }, 'drift observation not recorded'),
          );
      // Not waited for: shadows and evaluations start on the background queue as this goes out.
      if (meta.path === 'primary' || meta.path === 'fallback') void deps.answered?.(args);
      deps.logger.info(
        {
          event: 'task.completed',
          jobId: args.jobId,
          tenant: args.tenantId,
          task: args.task,
          provider: meta.provider,
          model: meta.model,
          path: meta.path,
          attempts: meta.attempts,
          latencyMs: meta.latencyMs,
          // Flat names: `*.input`/`*.output` are redacted paths in the logger.
          inputTokens: meta.tokens.input,
          outputTokens: meta.tokens.output,
          costUsd: meta.costUsd,
        },
        'task completed',
      );
      // Last: a retried recordResult (a store write failed above) counts its answer once.
      recordAnswerPath(args.task, args.tenantId, meta);
      return meta;
    },

    /** The job ended (any way): its tenant's concurrency slot is free. */
    async closeTenancy(args: { jobId: string }): Promise<void> {
      await deps.limiter?.release(args.jobId);
    },
    /**
     * Admission and screening in one local activity: one round trip between the workflow and
     * the worker instead of two (about 8 ms a task on this machine's 2 cores).
     */
    async prepareTask(
      request: RunTaskRequest,
    ): Promise<{ plan: TaskPlan; screening: InputScreening }> {
      const admitted = await activities.admitRequest(request);
      const screening = screenInput(admitted.input, admitted.policy);
      const plan = routeByDataPolicy(admitted, screening, deps.registry);
      // The start event already holds the request's input: the plan repeats it only when the
      // schema changed it (defaults, trimming), so a history carries the input once.
      const unchanged = canonicalJson(plan.input) === canonicalJson(request.input);
      return { plan: unchanged ? { ...plan, input: undefined } : plan, screening };
    },
  };
  return activities;
}

/**
 * The data policy on the screened request (docs/governance.md): candidates that may not see it
 * are skipped with the rule they break; none left means the request is denied before any call.
 * Plans without a `data` policy are returned as they are.
 */
function routeByDataPolicy(
  plan: TaskPlan,
  screening: InputScreening,
  registry: ModelRegistry,
): TaskPlan {
  const data = plan.policy.data;
  if (!data) return plan;
  const pii = screening.report.pii;
  const { candidates, decision } = decideDataPolicy({
    policy: data,
    candidates: plan.candidates,
    factsOf: (c) => {
      const governance = findModel(registry, c.provider, c.model)?.governance;
      return { inProcess: c.inProcess === true, ...(governance ? { governance } : {}) };
    },
    pii: {
      found: pii.found.map((f) => f.type),
      redacted: pii.action === 'redacted' ? plan.policy.moderation.input.piiTypes : [],
    },
  });
  return { ...plan, candidates, dataPolicy: decision };
}
