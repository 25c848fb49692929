import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { JobStatus, type RunTaskRequest, type RunTaskResult } from '../shared/contracts/job';
import type { TaskAcceptedBody } from '../shared/contracts/http';
import type { AnyTaskDefinition } from '../shared/tasks';
import type { KeelConfig } from '../shared/platform/config';
import type { Logger } from '../shared/platform/logger';
import { idempotentJobId, readIdempotencyKey } from './idempotency';
import { problemForFailure } from './job-status';
import { ProblemError } from './problem';
import { listAwaitingReview, ReviewWatch } from './review-watch';
import { listRunningTasks, RunningTasks, type Admission } from './running-tasks';
import { Debounce } from './single-flight/debounce';
import {
  isFlightLanded,
  sharesCalls,
  SingleFlight,
  SINGLE_FLIGHT_HEADER,
  workflowOptions,
} from './single-flight/single-flight';
import { TaskCache, type CacheSlot } from './task-cache';
import { parseTaskRequest } from './task-request';
import { TaskStarter } from './task-starter';
import { TenantShares } from './tenant-shares';
import { TenancyGate, type GatePass } from './tenancy-gate';
import type { Tenant } from '../shared/tenancy/directory';
import type { Tenancy } from '../shared/tenancy/open';
import { CONFIG, LOGGER, TEMPORAL_CLIENT, TENANCY } from './tokens';
import type { runTask } from '../workflows';

/** The oldest cached answer a rate-limited request of a `whenLimited: cache` plan may get. */
const MAX_CACHE_AGE_WHEN_LIMITED_MS = 86_400_000;

export type RunOutcome = (
  | { kind: 'completed'; jobId: string; result: RunTaskResult }
  | { kind: 'accepted'; jobId: string; status: TaskAcceptedBody['status'] }
) & {
  /** The tenant's RateLimit headers, when its plan has limits. */
  headers?: Record<string, string>;
};

/**
 * `POST /v1/tasks/{task}`: checks the wire contract, answers from the cache when asked to, sheds
 * load, starts the task's workflow and waits up to the sync budget for its result. Admission (may
 * the request run, and how) is the workflow's, decided once: nothing here decides policy.
 */
@Injectable()
export class JobsService implements OnModuleDestroy {
  /** Tasks running on this deployment, sync or 202'd (see KEEL_MAX_INFLIGHT_TASKS). */
  private readonly running: RunningTasks;
  /** Each tenant's share of the admissions in progress here (KEEL_TENANT_ADMISSIONS). */
  private readonly shares: TenantShares;
  /** Ends a sync wait when the task turns to wait for a person. */
  private readonly reviews: ReviewWatch;
  /** Sync waits in progress: a shutdown ends them (`endWaits`), and any later one at once. */
  private readonly waits = new Set<AbortController>();
  private waitsEnded = false;

  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(TaskStarter) private readonly starter: TaskStarter,
    @Inject(TaskCache) private readonly cache: TaskCache,
    @Inject(TenancyGate) private readonly gate: TenancyGate,
    @Inject(SingleFlight) private readonly flights: SingleFlight,
    @Inject(Debounce) private readonly debounce: Debounce,
    @Inject(TENANCY) private readonly tenancy: Tenancy,
  ) {
    this.running = new RunningTasks({
      limit: config.maxInflightTasks,
      list: listRunningTasks(client, [config.taskQueue, config.backgroundTaskQueue]),
      logger,
      adaptive: { waitFraction: config.shedWaitFraction },
    });
    this.shares = new TenantShares(config.tenantAdmissions);
    this.reviews = new ReviewWatch({ list: listAwaitingReview(client, config.taskQueue), logger });
  }

  /** At shutdown: every caller still waiting for a sync answer gets 202 and its job id now. */
  endWaits(): void {
    this.waitsEnded = true;
    for (const wait of this.waits) wait.abort();
  }

  onModuleDestroy(): void {
    this.running.stop();
    this.reviews.stop();
  }

  /** Validates the body, starts the workflow, and waits up to the sync budget for its result. */
  async run(args: {
    tenant: Tenant;
    taskName: string;
    body: unknown;
    requestId: string;
    /** `Idempotency-Key`: a retry with the same key returns the same job. */
    idempotencyKey?: string;
  }): Promise<RunOutcome> {
    return this.runParsed({ ...args, parsed: parseTaskRequest(args) });
  }

  /**
   * `run` for a request already checked against its wire contract (the chat endpoint builds the
   * `chat` task's). `onStart` learns the job id just before its workflow starts.
   */
  async runParsed(args: {
    tenant: Tenant;
    parsed: ReturnType<typeof parseTaskRequest>;
    idempotencyKey?: string;
    onStart?: (jobId: string) => void;
  }): Promise<RunOutcome> {
    const key = readIdempotencyKey(args.idempotencyKey);
    const { parsed } = args;
    const { task } = parsed;
    // First: a superseded request reads no cache and takes nothing from the tenant's limits.
    const { debounce } = parsed.request.options;
    if (debounce) await this.debounce.wait({ tenantId: args.tenant.id, debounce });
    // The cache and single-flight keys name the prompt version this tenant's job will run with.
    const promptVersion = await this.promptVersionOf(args.tenant, parsed);
    const cacheSlot = this.cache.slotFor(task, parsed.request, promptVersion);
    const hit = cacheSlot && (await this.cache.lookup(cacheSlot));
    if (hit) return { kind: 'completed', ...hit };
    // A plan that answers from the cache when limited keeps every answer for that (a day).
    const storeSlot = cacheSlot ?? this.limitedSlot(args.tenant, parsed, promptVersion);
    // The tenant's turn: its share is held from admission until its workflow has started.
    const started = await this.shares.acquire(args.tenant.id);
    try {
      return await this.admitAndRun({
        tenant: args.tenant,
        parsed,
        key,
        cacheSlot: storeSlot,
        promptVersion,
        landed: 0,
        started,
        ...(args.onStart ? { onStart: args.onStart } : {}),
      });
    } finally {
      started();
    }
  }

  /**
   * Admits the request and runs its job, or (single-flight) joins the identical job running.
   * `landed`: how many flights this request found ended; after two it runs on its own.
   */
  private async admitAndRun(ctx: {
    tenant: Tenant;
    parsed: ReturnType<typeof parseTaskRequest>;
    key: string | undefined;
    cacheSlot: CacheSlot | undefined;
    /** The prompt version the request's keys name (`promptVersionOf`). */
    promptVersion: string;
    landed: number;
    /** Over a limit of a plan that degrades: the pass of a job that calls no model. */
    degraded?: GatePass;
    /** Frees the tenant's admission share: once the workflow has started. */
    started: () => void;
    onStart?: (jobId: string) => void;
  }): Promise<RunOutcome> {
    const { tenant, parsed, key, cacheSlot } = ctx;
    const { task } = parsed;
    const flight =
      !ctx.degraded && sharesCalls(parsed.request, key) && ctx.landed < 2
        ? await this.flights.claim({
            task,
            request: parsed.request,
            planRoute: tenant.terms?.routes[task.name],
            promptVersion: ctx.promptVersion,
          })
        : undefined;
    const joined = flight?.joined === true;
    const jobId =
      flight?.jobId ??
      (key ? idempotentJobId(tenant.id, task.name, key) : `${task.name}-${randomUUID()}`);
    // The tenant's plan: the task, the budget, the limits. A refusal starts nothing. A caller
    // joining a running job is admitted under that job's lease: nothing is taken again.
    let pass: GatePass;
    try {
      pass =
        ctx.degraded ??
        (await this.gate.admit({
          tenant,
          task,
          request: parsed.request,
          jobId,
          now: Date.now(),
        }));
    } catch (err) {
      if (flight && !joined) await this.flights.land(flight);
      const served = await this.answerWhenLimited(tenant, parsed, err, ctx.promptVersion);
      if (served) return served;
      const degraded = this.gate.degradedPass(tenant, err);
      if (!degraded) throw err;
      // Over a limit on a plan that degrades: a job of its own that calls no model.
      return this.admitAndRun({ ...ctx, cacheSlot: undefined, degraded });
    }
    const asked = { ...parsed.request, options: workflowOptions(parsed.request.options) };
    const request = pass.tenancy ? { ...asked, tenancy: pass.tenancy } : asked;
    // Shed load before starting anything: a queue the caller would time out in helps nobody. A
    // joined caller starts nothing.
    const waits = request.options.maxSyncMs !== 0;
    const admission = joined
      ? { admitted: true as const }
      : this.running.admit(jobId, waits ? task.envelope : undefined);
    if (!admission.admitted) {
      if (pass.holdsSlot) await this.gate.release(jobId);
      if (flight) await this.flights.land(flight);
      throw overloaded(admission);
    }
    let handle: WorkflowHandle<typeof runTask>;
    try {
      ctx.onStart?.(jobId);
      handle = await this.starter.start(jobId, request, key !== undefined, flight !== undefined);
      ctx.started();
    } catch (err) {
      const landed = isFlightLanded(err);
      if (!joined) this.running.release(jobId);
      // A joined caller's lease is the running job's: its own end frees it. An ended one's is free.
      if (pass.holdsSlot && (!joined || landed)) await this.gate.release(jobId);
      if (flight) await this.flights.land(flight);
      if (landed) return this.admitAndRun({ ...ctx, landed: ctx.landed + 1 });
      throw err;
    }
    const headers = flight
      ? { ...pass.headers, [SINGLE_FLIGHT_HEADER]: joined ? 'joined' : 'leader' }
      : pass.headers;
    let outcome: RunOutcome | undefined;
    try {
      outcome = await this.awaitResult(handle, { task, request, cacheSlot });
      return { ...outcome, headers };
    } finally {
      // Seen to end: the slot is free now. A 202'd task keeps it until visibility stops listing it.
      if (outcome?.kind !== 'accepted') {
        this.running.finished(jobId);
        // A 202'd job's workflow frees its tenant slot when it ends (`closeTenancy`).
        if (pass.holdsSlot) await this.gate.release(jobId);
        // The next identical request starts a new job: this is not a cache.
        if (flight) await this.flights.land(flight);
      }
    }
  }

  /**
   * A plan that says `whenLimited: cache` answers a rate-limited request from the result cache
   * when an identical one was answered within the last day (`x-keel-limited: cache`).
   */
  private async answerWhenLimited(
    tenant: Tenant,
    parsed: ReturnType<typeof parseTaskRequest>,
    err: unknown,
    promptVersion: string,
  ): Promise<RunOutcome | undefined> {
    if (!(err instanceof ProblemError) || err.slug !== 'rate-limited') return undefined;
    const slot = this.limitedSlot(tenant, parsed, promptVersion);
    const hit = slot && (await this.cache.lookup(slot));
    return hit
      ? { kind: 'completed', ...hit, headers: { ...err.headers, 'x-keel-limited': 'cache' } }
      : undefined;
  }

  /** The cache slot of a `whenLimited: cache` plan's request (a day's answers), else none. */
  private limitedSlot(
    tenant: Tenant,
    parsed: ReturnType<typeof parseTaskRequest>,
    promptVersion: string,
  ): CacheSlot | undefined {
    if (tenant.terms?.whenLimited !== 'cache') return undefined;
    const { task, request } = parsed;
    return this.cache.slotFor(
      task,
      { ...request, options: { ...request.options, cacheTtlMs: MAX_CACHE_AGE_WHEN_LIMITED_MS } },
      promptVersion,
    );
  }

  /**
   * The prompt version the tenant's (or key's) job would run with (docs/prompt-registry.md), as
   * admission will pick it, for the keys that must not mix versions; the store's lookup is cached
   * for a second. Requests with no such key need none.
   */
  private async promptVersionOf(
    tenant: Tenant,
    parsed: ReturnType<typeof parseTaskRequest>,
  ): Promise<string> {
    const { task, request } = parsed;
    const keyed =
      request.options.cacheTtlMs !== undefined ||
      request.options.singleFlight === true ||
      tenant.terms?.whenLimited === 'cache';
    if (!keyed || task.conversation) return task.prompt.version;
    return this.tenancy.store.prompts.resolve({
      task: task.name,
      builtIn: task.prompt.version,
      tenantId: tenant.id,
      keyId: tenant.keyId,
    });
  }

  /** Waits up to the sync budget for the result; 202 when it is spent or a reviewer must decide. */
  private async awaitResult(
    handle: WorkflowHandle<typeof runTask>,
    ctx: { task: AnyTaskDefinition; request: RunTaskRequest; cacheSlot: CacheSlot | undefined },
  ): Promise<RunOutcome> {
    const { task, request, cacheSlot } = ctx;
    const { workflowId: jobId } = handle;
    const { maxSyncMs } = task.envelope;
    const waitMs = Math.min(request.options.maxSyncMs ?? maxSyncMs, maxSyncMs);
    if (waitMs <= 0 || this.waitsEnded)
      return { kind: 'accepted', jobId, status: JobStatus.running };
    const controller = new AbortController();
    this.waits.add(controller);
    let status: TaskAcceptedBody['status'] = JobStatus.running;
    const timer = setTimeout(() => controller.abort(), waitMs);
    // A task waiting for a person will not finish within any sync budget: answer 202 at once.
    const unwatch = this.reviews.watch(jobId, () => {
      status = JobStatus.awaitingReview;
      controller.abort();
    });
    // The embedded worker's NativeConnection ignores abort signals (SDK 1.24): the race ends the
    // wait all the same (its long poll ends on its own).
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(new Error('sync wait ended')), {
        once: true,
      }),
    );
    try {
      const result = await Promise.race([
        this.client.withAbortSignal(controller.signal, () => handle.result()),
        aborted,
      ]);
      if (cacheSlot) await this.cache.store(cacheSlot, jobId, result);
      return { kind: 'completed', jobId, result };
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'accepted', jobId, status };
      throw problemForFailure(err, jobId);
    } finally {
      clearTimeout(timer);
      unwatch();
      this.waits.delete(controller);
    }
  }
}

/** 503 `overloaded` for a refusal, with Retry-After from the queue's drain rate. */
function overloaded(refusal: Extract<Admission, { admitted: false }>): ProblemError {
  const { limit, retryAfterS } = refusal;
  const detail =
    refusal.reason === 'ceiling'
      ? `This deployment is already running ${limit} tasks; retry in ${retryAfterS} s.`
      : `The ${refusal.inFlight} tasks running here would keep this one about ` +
        `${Math.ceil((refusal.expectedWaitMs ?? 0) / 1_000)} s, past its sync budget; retry in ${retryAfterS} s.`;
  return ProblemError.of(
    'overloaded',
    detail,
    { limit },
    {
      headers: { 'retry-after': String(retryAfterS) },
    },
  );
}
