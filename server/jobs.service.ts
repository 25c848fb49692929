import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { z } from 'zod';
import { toFieldErrors } from '../shared/errors';
import {
  JobStatus,
  ResultPath,
  TaskOptions,
  type JobStep,
  type RunTaskRequest,
  type RunTaskResult,
} from '../shared/contracts/job';
import { SearchAttr, getJobStateQuery } from '../shared/messages';
import { resolvePolicy } from '../shared/policy/resolve-policy';
import { findTask, type AnyTaskDefinition } from '../shared/tasks';
import { mayNeedReview } from '../shared/tasks/review-triggers';
import { resolveRoute } from '../shared/policy/routing';
import { findModel } from '../shared/runtime/model-registry';
import { enabledProviderNames } from '../shared/runtime/provider-settings';
import type { KeelConfig } from '../shared/runtime/config';
import type { Logger } from '../shared/runtime/logger';
import {
  idempotentJobId,
  readIdempotencyKey,
  requestFingerprint,
  sameRequest,
} from './idempotency';
import { problemForFailure, statusOf } from './job-status';
import { ResultCache, type CacheHit } from './result-cache';
import { invalidRequest, ProblemError, type Problem } from './problem';
import { listRunningTasks, RunningTasks } from './running-tasks';
import type { Tenant } from './tenants';
import { CONFIG, LOGGER, TEMPORAL_CLIENT } from './tokens';
import type { runTask } from '../workflows';

export const RunTaskBody = z
  .object({
    input: z.unknown().refine((v) => v !== undefined, 'required'),
    options: TaskOptions.optional(),
  })
  .strict();

export interface JobView {
  jobId: string;
  task: string;
  status: JobStatus;
  output?: unknown;
  meta?: RunTaskResult['meta'];
  error?: Problem;
  steps?: JobStep[];
}

export type RunOutcome =
  | { kind: 'completed'; jobId: string; result: RunTaskResult }
  | { kind: 'accepted'; jobId: string; status: JobStatus };

/** While a sync caller waits, how often the job's status is looked at (a review ends the wait). */
const STATUS_POLL_MS = 250;

const JOB_ID =
  /^([a-z0-9]+(?:-[a-z0-9]+)*)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Starts task workflows and reads jobs back. Every external call goes through the Temporal client. */
@Injectable()
export class JobsService {
  private readonly enabledProviders: ReadonlySet<string>;
  private readonly cache: ResultCache;
  /** Tasks running on this deployment, sync or 202'd (see KEEL_MAX_INFLIGHT_TASKS). */
  private readonly running: RunningTasks;

  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.enabledProviders = enabledProviderNames(config);
    this.cache = new ResultCache(config.cacheMaxEntries);
    this.running = new RunningTasks({
      limit: config.maxInflightTasks,
      list: listRunningTasks(client, config.taskQueue),
      logger,
    });
  }

  requireTask(name: string): AnyTaskDefinition {
    const task = findTask(name);
    if (!task)
      throw new ProblemError(404, 'unknown-task', 'Unknown task', `There is no task "${name}".`);
    return task;
  }

  /** Validates, starts the workflow, and waits up to the sync budget for its result. */
  async run(args: {
    tenant: Tenant;
    taskName: string;
    body: unknown;
    requestId: string;
    /** `Idempotency-Key`: a retry with the same key returns the same job. */
    idempotencyKey?: string;
  }): Promise<RunOutcome> {
    const key = readIdempotencyKey(args.idempotencyKey);
    const task = this.requireTask(args.taskName);
    const body = RunTaskBody.safeParse(args.body);
    if (!body.success)
      throw invalidRequest(
        'The body must be {"input": {...}, "options"?: {...}}.',
        toFieldErrors(body.error.issues),
      );
    const input = task.input.safeParse(body.data.input);
    if (!input.success) {
      throw invalidRequest(
        `The input does not match the "${task.name}" schema.`,
        toFieldErrors(input.error.issues, 'input'),
      );
    }
    const options = body.data.options ?? {};
    if (options.route) {
      const { errors } = resolveRoute({
        refs: options.route,
        explicit: true,
        enabledProviders: this.enabledProviders,
        hasModel: (p, m) => !!findModel(this.config.models, p, m),
      });
      if (errors.length)
        throw invalidRequest(
          'The route names a provider or model this deployment does not have.',
          errors,
        );
    }
    const request: RunTaskRequest = {
      task: task.name,
      tenantId: args.tenant.id,
      requestId: args.requestId,
      input: input.data,
      options,
    };
    // A person must see every answer under review: those never come from the cache.
    const cacheKey =
      options.cacheTtlMs !== undefined && options.review === undefined
        ? ResultCache.key({
            tenantId: args.tenant.id,
            task: task.name,
            promptVersion: task.prompt.version,
            input: input.data,
            route: options.route,
            allowDegraded: options.allowDegraded,
          })
        : undefined;
    if (cacheKey !== undefined) {
      const hit = this.cache.get(cacheKey, options.cacheTtlMs!);
      if (hit) return { kind: 'completed', jobId: hit.jobId, result: cachedResult(hit) };
    }
    const jobId = key
      ? idempotentJobId(args.tenant.id, task.name, key)
      : `${task.name}-${randomUUID()}`;
    if (!(await this.running.admit(jobId))) {
      // Shed load before starting anything: a queue the caller would time out in helps nobody.
      const limit = this.config.maxInflightTasks;
      throw new ProblemError(
        503,
        'overloaded',
        'Too many tasks in flight',
        `This deployment is already running ${limit} tasks; retry shortly.`,
        { limit },
        { 'retry-after': '1' },
      );
    }
    let handle: WorkflowHandle<typeof runTask>;
    try {
      handle = await this.startWorkflow(jobId, request, key !== undefined);
    } catch (err) {
      this.running.release(jobId);
      throw err;
    }
    let outcome: RunOutcome | undefined;
    try {
      outcome = await this.awaitResult(handle, { tenant: args.tenant, task, request, cacheKey });
      return outcome;
    } finally {
      // Seen to end: the slot is free now. A 202'd task keeps it until visibility stops listing it.
      if (outcome?.kind !== 'accepted') this.running.finished(jobId);
    }
  }

  /** Waits up to the sync budget for the result; 202 when it is spent or a reviewer must decide. */
  private async awaitResult(
    handle: WorkflowHandle<typeof runTask>,
    ctx: {
      tenant: Tenant;
      task: AnyTaskDefinition;
      request: RunTaskRequest;
      cacheKey: string | undefined;
    },
  ): Promise<RunOutcome> {
    const { task, request, cacheKey } = ctx;
    const { workflowId: jobId } = handle;
    const options = request.options;
    const waitMs = Math.min(options.maxSyncMs ?? task.envelope.maxSyncMs, task.envelope.maxSyncMs);
    if (waitMs <= 0) return { kind: 'accepted', jobId, status: JobStatus.running };
    const controller = new AbortController();
    let status: JobStatus = JobStatus.running;
    const timer = setTimeout(() => controller.abort(), waitMs);
    // A task waiting for a person will not finish within any sync budget: answer 202 at once.
    const watch = !mayNeedReview(
      task,
      resolvePolicy({
        config: this.config.models.policies,
        tenantId: ctx.tenant.id,
        task: task.name,
        taskDefaults: task.policy,
      }),
      options,
    )
      ? undefined
      : setInterval(() => {
          handle
            .describe()
            .then((d) => {
              if (statusOf(d) === JobStatus.awaitingReview) {
                status = JobStatus.awaitingReview;
                controller.abort();
              }
            })
            .catch(() => undefined);
        }, STATUS_POLL_MS);
    try {
      const result = await this.client.withAbortSignal(controller.signal, () => handle.result());
      if (cacheKey !== undefined) this.cache.set(cacheKey, { jobId, ...result });
      return { kind: 'completed', jobId, result };
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'accepted', jobId, status };
      throw problemForFailure(err, jobId);
    } finally {
      clearTimeout(timer);
      clearInterval(watch);
    }
  }

  /**
   * Starts the task's workflow. With an idempotency key, a duplicate (running or finished) is
   * not started again: the existing job is returned, provided it was asked the same thing.
   */
  private async startWorkflow(jobId: string, request: RunTaskRequest, idempotent: boolean) {
    const fingerprint = requestFingerprint(request);
    let handle;
    try {
      handle = await this.client.workflow.start<typeof runTask>('runTask', {
        taskQueue: this.config.taskQueue,
        workflowId: jobId,
        args: [request],
        memo: { requestFingerprint: fingerprint },
        // With a worker in this process on the same connection, the server hands it the first
        // workflow task in the start response (no task-queue round trip).
        ...(this.config.embeddedWorker ? { requestEagerStart: true } : {}),
        typedSearchAttributes: [
          { key: SearchAttr.tenant, value: request.tenantId },
          { key: SearchAttr.task, value: request.task },
          { key: SearchAttr.status, value: JobStatus.running },
        ],
        ...(idempotent
          ? { workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE' }
          : {}),
      });
    } catch (err) {
      if (idempotent && err instanceof WorkflowExecutionAlreadyStartedError) {
        handle = this.client.workflow.getHandle<typeof runTask>(jobId);
      } else {
        throw this.unavailable(err);
      }
    }
    if (idempotent) {
      const memo = (await handle.describe()).memo as { requestFingerprint?: string } | undefined;
      if (!sameRequest(memo?.requestFingerprint, request)) {
        throw new ProblemError(
          422,
          'idempotency-key-reused',
          'Idempotency-Key reused',
          'This Idempotency-Key was used for a different request.',
          {
            jobId,
            errors: [
              { field: 'header.idempotency-key', message: 'already used for a different request' },
            ],
          },
        );
      }
    }
    return handle;
  }

  /** Nothing was started: the caller may retry safely. */
  private unavailable(err: unknown): ProblemError {
    return new ProblemError(
      503,
      'temporal-unavailable',
      'Service unavailable',
      'The task could not be started; retry shortly.',
      {},
      { 'retry-after': '5' },
      { cause: err },
    );
  }

  /** A job as its tenant sees it. Another tenant's job is a 404, the same as a missing one. */
  async get(args: { tenant: Tenant; jobId: string }): Promise<JobView> {
    const notFound = new ProblemError(
      404,
      'job-not-found',
      'Job not found',
      `There is no job "${args.jobId}".`,
    );
    const match = JOB_ID.exec(args.jobId);
    if (!match) throw notFound;
    const handle = this.client.workflow.getHandle(args.jobId);
    let desc: WorkflowExecutionDescription;
    try {
      desc = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound;
      throw err;
    }
    if (desc.typedSearchAttributes.get(SearchAttr.tenant) !== args.tenant.id) throw notFound;

    const view: JobView = { jobId: args.jobId, task: match[1] ?? '', status: statusOf(desc) };
    if (view.status === JobStatus.completed) {
      const result = (await handle.result()) as RunTaskResult;
      view.output = result.output;
      view.meta = result.meta;
      view.steps = result.steps;
    } else if (view.status !== JobStatus.running && view.status !== JobStatus.awaitingReview) {
      try {
        await handle.result();
      } catch (err) {
        view.error = problemForFailure(err, args.jobId).toProblem();
      }
    }
    if (!view.steps) {
      try {
        view.steps = (await handle.query(getJobStateQuery)).steps;
      } catch {
        // Steps of an unfinished job need a worker to answer the query; the status does not.
      }
    }
    return view;
  }
}

/** A cache hit as its caller sees it: the earlier job's answer, nothing billed this time. */
function cachedResult(hit: CacheHit): RunTaskResult {
  return {
    output: hit.output,
    meta: {
      ...hit.meta,
      path: ResultPath.cache,
      attempts: 0,
      reasons: [],
      latencyMs: 0,
      providerMs: 0,
      costUsd: 0,
      tokens: { ...hit.meta.tokens, input: 0, output: 0, cachedInput: 0 },
      cache: { jobId: hit.jobId, ageMs: Math.round(hit.ageMs) },
    },
  };
}
