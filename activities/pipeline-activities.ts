import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { countTokens } from 'gpt-tokenizer';
import { canonicalJson } from '../shared/canonical-json';
import { FailureType, toFieldErrors } from '../shared/errors';
import { TaskOptions, type ResultMeta, type RunTaskRequest } from '../shared/contracts/job';
import { resolveRoute, type PlannedCandidate } from '../shared/policy/routing';
import { adaptiveTimeoutMs } from '../shared/breaker';
import {
  BUILT_IN_PROVIDER,
  findModel,
  isInProcess,
  type KeelFileConfig,
} from '../shared/runtime/model-registry';
import type { ProviderHealth } from '../shared/runtime/provider-health';
import type { LastGoodAnswer, LastGoodAnswers } from '../shared/runtime/last-good';
import {
  callTimeoutBoundsMs,
  findTask,
  type AnyTaskDefinition,
  type Downgrade,
} from '../shared/tasks';
import type { Logger } from '../shared/runtime/logger';
import { resolvePolicy, type ResolvedPolicy } from '../shared/policy/resolve-policy';
import { screenInput, type InputScreening } from './screen-input';
import { validateAnswer, type ValidateArgs, type Validation } from './validation';

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
}

/** Everything the workflow needs to run a task, decided once and recorded in history. */
export interface TaskPlan {
  candidates: PlannedCandidate[];
  /** The deterministic downgrade when every candidate fails; absent when the caller opted out. */
  fallback?: PlannedCandidate;
  /** A Retry-After longer than this moves on to the next candidate instead of waiting. */
  retryAfterBudgetMs: number;
  promptVersion: string;
  hardTimeoutMs: number;
  /** Epoch ms when the request was admitted; the clock comes from here, not from workflow code. */
  admittedAt: number;
  /** The input after the schema applied defaults and trimming. */
  input: unknown;
  /** Prompt tokens counted before any call (o200k tokenizer), for budgets. */
  estimatedInputTokens: number;
  /** HMAC of task, prompt version and normalised input (see SearchAttr.inputKey). */
  inputKey: string;
  /** Downgrades to try, in order, when every candidate fails. Empty when the caller opted out. */
  degrade: Downgrade[];
  /** Moderation and rule limits for this tenant and task, as resolved at admission. */
  policy: ResolvedPolicy;
}

export type ValidationResult = Validation;

/** The deterministic downgrade: the task's own fallback, run by the local provider. */
const LOCAL_FALLBACK = {
  provider: BUILT_IN_PROVIDER,
  model: 'keel-local-1',
  inProcess: true,
} as const;
const BOOKKEEPING_TIMEOUT_MS = 10_000;

/** Every string value Unicode-normalised (NFC), whitespace collapsed and trimmed; keys kept. */
export function normaliseStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (Array.isArray(value)) return value.map(normaliseStrings);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normaliseStrings(v)]),
    );
  return value;
}

/**
 * KeelInputKey: an HMAC of task, prompt version and the input's canonical JSON with normalised
 * strings. The same bytes as before canonical JSON moved to `shared/` (for JSON input), so the
 * last good answers of earlier jobs are still found.
 */
export function inputKeyOf(args: {
  secret: string;
  task: string;
  promptVersion: string;
  input: unknown;
}): string {
  return createHmac('sha256', args.secret)
    .update(`${args.task}\n${args.promptVersion}\n${canonicalJson(normaliseStrings(args.input))}`)
    .digest('hex')
    .slice(0, 32);
}

export function requireTask(name: string): AnyTaskDefinition {
  const task = findTask(name);
  if (!task) {
    throw ApplicationFailure.nonRetryable(`Unknown task "${name}"`, FailureType.UnknownTask);
  }
  return task;
}

export function createPipelineActivities(deps: PipelineDeps) {
  const activities = {
    /** Admit: validate the input against the task schema and fix the route. No model call yet. */
    async admitRequest(request: RunTaskRequest): Promise<TaskPlan> {
      const task = requireTask(request.task);
      const input = task.input.safeParse(request.input);
      if (!input.success) {
        throw ApplicationFailure.nonRetryable(
          'Input does not match the task schema',
          FailureType.InvalidInput,
          toFieldErrors(input.error.issues, 'input'),
        );
      }
      const options = TaskOptions.parse(request.options ?? {});
      const route = resolveRoute({
        refs: options.route ?? task.route,
        explicit: !!options.route,
        enabledProviders: deps.providers,
        hasModel: (p, m) => !!findModel(deps.registry, p, m),
      });
      if (route.errors.length > 0 || route.candidates.length === 0) {
        throw ApplicationFailure.nonRetryable(
          'The route names no model this deployment can call',
          FailureType.UnknownModel,
          route.errors.length
            ? route.errors
            : [{ field: 'options.route', message: 'no usable candidate' }],
        );
      }
      const policy = resolvePolicy({
        config: deps.registry.policies,
        tenantId: request.tenantId,
        task: task.name,
        taskDefaults: task.policy,
      });
      const prompt = `${task.prompt.system}\n${task.prompt.render(input.data)}`;
      const estimatedInputTokens = countTokens(prompt);
      const bounds = callTimeoutBoundsMs(task.envelope);
      const now = deps.now();
      const candidates = await Promise.all(
        route.candidates.map(async (c): Promise<PlannedCandidate> => {
          // In-process or external is the provider's type, never its name.
          const inProcess = isInProcess(deps.registry, c.provider);
          if (!deps.health || inProcess) return { ...c, inProcess, timeoutMs: bounds.maxMs };
          const health = await deps.health.view(c.provider, c.model, now);
          const open =
            health.state === 'open' && now - (health.openedAt ?? now) < deps.health.settings.openMs;
          return {
            ...c,
            inProcess,
            timeoutMs: adaptiveTimeoutMs(health.stats, {
              ...bounds,
              minRequests: deps.health.settings.minRequests,
              estimatedInputTokens,
            }),
            ...(open ? { skip: 'circuit open' } : {}),
          };
        }),
      );
      return {
        candidates,
        fallback:
          options.allowDegraded === false
            ? undefined
            : { ...LOCAL_FALLBACK, timeoutMs: BOOKKEEPING_TIMEOUT_MS },
        // A sync caller waits maxSyncMs at most: waiting longer on one vendor is worse than the next.
        retryAfterBudgetMs: task.envelope.maxSyncMs,
        promptVersion: task.prompt.version,
        hardTimeoutMs: task.envelope.hardTimeoutMs,
        admittedAt: now,
        input: input.data,
        estimatedInputTokens,
        inputKey: inputKeyOf({
          secret: deps.inputKeySecret,
          task: task.name,
          promptVersion: task.prompt.version,
          input: input.data,
        }),
        degrade:
          options.allowDegraded === false
            ? []
            : [...(policy.degrade ?? task.degrade ?? ['last-good', 'fallback'])],
        policy,
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
      return Promise.resolve(validateAnswer(requireTask(task), rest));
    },

    /** Record: stamp latency and write the audit line (ids and numbers only, never content). */
    recordResult(args: {
      jobId: string;
      tenantId: string;
      task: string;
      admittedAt: number;
      meta: Omit<ResultMeta, 'latencyMs'>;
    }): Promise<ResultMeta> {
      const meta: ResultMeta = {
        ...args.meta,
        latencyMs: Math.max(0, deps.now() - args.admittedAt),
      };
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
      return Promise.resolve(meta);
    },
    /**
     * Admission and screening in one local activity: one round trip between the workflow and
     * the worker instead of two (about 8 ms a task on this machine's 2 cores).
     */
    async prepareTask(
      request: RunTaskRequest,
    ): Promise<{ plan: TaskPlan; screening: InputScreening }> {
      const plan = await activities.admitRequest(request);
      return { plan, screening: screenInput(plan.input, plan.policy) };
    },
  };
  return activities;
}
