import { ApplicationFailure } from '@temporalio/common';
import { FailureType, toFieldErrors } from '../shared/errors';
import { TaskOptions, type ResultMeta, type RunTaskRequest } from '../shared/job';
import { findTask, type AnyTaskDefinition } from '../shared/tasks';
import type { Logger } from '../shared/runtime/logger';

export interface PipelineDeps {
  logger: Logger;
  /** Provider slugs this worker can call (e.g. `local`, `openai`). */
  providers: ReadonlySet<string>;
  now?: () => number;
}

/** Everything the workflow needs to run a task, decided once and recorded in history. */
export interface TaskPlan {
  candidates: Array<{ provider: string; model: string }>;
  promptVersion: string;
  /** Start-to-close timeout of one model call. */
  callTimeoutMs: number;
  hardTimeoutMs: number;
  /** Epoch ms when the request was admitted; the clock comes from here, not from workflow code. */
  admittedAt: number;
  /** The input after the schema applied defaults and trimming. */
  input: unknown;
}

export interface ValidationResult {
  ok: boolean;
  output?: unknown;
  errors: Array<{ field: string; message: string }>;
}

export function requireTask(name: string): AnyTaskDefinition {
  const task = findTask(name);
  if (!task) {
    throw ApplicationFailure.nonRetryable(`Unknown task "${name}"`, FailureType.UnknownTask);
  }
  return task;
}

export function createPipelineActivities(deps: PipelineDeps) {
  const now = deps.now ?? Date.now;
  return {
    /** Admit: validate the input against the task schema and fix the route. No model call yet. */
    admitRequest(request: RunTaskRequest): Promise<TaskPlan> {
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
      const route = options.route ?? task.route;
      const candidates = route.map((ref) => {
        const [provider = '', ...rest] = ref.split(':');
        return { provider, model: rest.join(':') };
      });
      const unknown = candidates.filter((c) => !deps.providers.has(c.provider));
      if (unknown.length === candidates.length) {
        throw ApplicationFailure.nonRetryable(
          `No configured provider in route: ${unknown.map((c) => c.provider).join(', ')}`,
          FailureType.UnknownProvider,
        );
      }
      return Promise.resolve({
        candidates: candidates.filter((c) => deps.providers.has(c.provider)),
        promptVersion: task.prompt.version,
        // A healthy call takes fastMs; allow a generous multiple, never past the hard timeout.
        callTimeoutMs: Math.min(task.envelope.fastMs * 5, task.envelope.hardTimeoutMs),
        hardTimeoutMs: task.envelope.hardTimeoutMs,
        admittedAt: now(),
        input: input.data,
      });
    },

    /** Validate: the model's output against the task's output schema. */
    validateOutput(args: { task: string; output: unknown }): Promise<ValidationResult> {
      const task = requireTask(args.task);
      const parsed = task.output.safeParse(args.output);
      return Promise.resolve(
        parsed.success
          ? { ok: true, output: parsed.data, errors: [] }
          : { ok: false, errors: toFieldErrors(parsed.error.issues, 'output') },
      );
    },

    /** Record: stamp latency and write the audit line (ids and numbers only, never content). */
    recordResult(args: {
      jobId: string;
      tenantId: string;
      task: string;
      admittedAt: number;
      meta: Omit<ResultMeta, 'latencyMs'>;
    }): Promise<ResultMeta> {
      const meta: ResultMeta = { ...args.meta, latencyMs: Math.max(0, now() - args.admittedAt) };
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
        },
        'task completed',
      );
      return Promise.resolve(meta);
    },
  };
}
