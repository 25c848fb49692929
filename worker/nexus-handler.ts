import * as nexus from 'nexus-rpc';
import { operationInfo, startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import type { RunTaskRequest } from '../shared/contracts/job';
import { SearchAttr } from '../shared/contracts/messages';
import { ProblemError } from '../shared/contracts/problem-error';
import {
  keelNexusService,
  NEXUS_OPERATION_TASKS,
  type NexusOperationName,
  type NexusTaskInput,
  type NexusTaskRequest,
  type NexusTaskResult,
  nexusRunnerId,
  type RunNexusTask,
} from '../shared/contracts/nexus';
import { taskPriority } from '../shared/platform/task-priority';
import { findServedTask } from '../shared/tasks';
import { taskWorkflowType } from '../shared/tasks/long-document';
import type { TenantDirectory } from '../shared/tenancy/directory';
import type { GatePass, PlanGate } from '../shared/tenancy/plan-gate';

export interface KeelNexusHandlerOptions {
  /** Keel's task queue: the jobs run there, whichever queue the endpoint targets. */
  taskQueue: string;
  /** KEEL_NEXUS_ENDPOINTS: endpoint name → tenant. */
  endpoints: Readonly<Record<string, string>>;
  /**
   * The tenants and their plans (the worker's tenant store and limiter): each operation passes
   * the same gate as `POST /v1/tasks/{task}` and its job carries the plan's route and budget.
   * Absent (a worker without a tenant store): jobs run with no plan.
   */
  plans?: { tenants: TenantDirectory; gate: PlanGate };
}

/**
 * The handler of Keel's Nexus service (shared/contracts/nexus.ts), registered on Keel's worker.
 * Each operation starts `runNexusTask`, which runs the task as a Keel job and completes the
 * operation with `{jobId, output, meta}` or the job's problem. The tenant is the one
 * KEEL_NEXUS_ENDPOINTS names for the endpoint the call came through; the caller sends no key.
 * The Nexus request id makes the job id, so a start the caller's server retries is one job.
 * Input and options are checked by the job's admission, as for every job: a bad input ends the
 * operation with the `invalid-request` problem naming the fields.
 */
export function keelNexusHandler(
  options: KeelNexusHandlerOptions,
): nexus.ServiceHandler<typeof keelNexusService.operations> {
  const operation = (name: NexusOperationName) =>
    new WorkflowRunOperationHandler<NexusTaskInput<unknown>, NexusTaskResult<unknown>>(
      async (ctx, body) => {
        const asked = taskRequest({
          task: NEXUS_OPERATION_TASKS[name],
          tenantId: tenantOf(options.endpoints),
          requestId: ctx.requestId,
          body,
        });
        const jobId = `${asked.task}-${ctx.requestId}`;
        const gate = options.plans ? await admit(options.plans, asked, jobId) : undefined;
        const pass = gate && 'pass' in gate ? gate.pass : undefined;
        const request = pass?.tenancy ? { ...asked, tenancy: pass.tenancy } : asked;
        const args: NexusTaskRequest = {
          jobId,
          workflowType: taskWorkflowType(request),
          request,
          priority: taskPriority(request),
          ...(gate && 'refusal' in gate ? { refusal: gate.refusal } : {}),
        };
        try {
          return await startWorkflow<RunNexusTask>(ctx, 'runNexusTask', {
            workflowId: nexusRunnerId(jobId),
            taskQueue: options.taskQueue,
            args: [args],
            priority: args.priority,
            // Whose it is, for erasure (its payloads stay under the deployment key: nexusRunnerId).
            typedSearchAttributes: [{ key: SearchAttr.tenant, value: request.tenantId }],
          });
        } catch (err) {
          // Not started: the job never runs to release its concurrency slot.
          if (pass?.holdsSlot) await options.plans?.gate.release(jobId);
          throw err;
        }
      },
    );
  return nexus.serviceHandler(keelNexusService, {
    summarize: operation('summarize'),
    classifyTicket: operation('classifyTicket'),
    extractInvoice: operation('extractInvoice'),
    answer: operation('answer'),
    suggestDiscount: operation('suggestDiscount'),
    // Each handler takes its operation's input untyped: admission checks it against the task.
  } as nexus.ServiceHandlerFor<typeof keelNexusService.operations>);
}

/** The tenant of the endpoint this operation came through; a call through any other is refused. */
function tenantOf(endpoints: Readonly<Record<string, string>>): string {
  const { endpoint } = operationInfo();
  const tenant = Object.prototype.hasOwnProperty.call(endpoints, endpoint)
    ? endpoints[endpoint]
    : undefined;
  if (!tenant) {
    throw new nexus.HandlerError(
      'UNAUTHORIZED',
      `The Nexus endpoint "${endpoint}" runs no tenant's tasks: add it to KEEL_NEXUS_ENDPOINTS as ${endpoint}=<tenant>.`,
    );
  }
  return tenant;
}

/**
 * The endpoint's tenant through its plan's gate, as the API's door does it: the task in the plan,
 * the budget, the tenant's request, token and concurrency limits. A refusal fails the operation
 * with the problem (a rate limit as a retryable handler error, so the caller's server retries it).
 */
async function admit(
  plans: NonNullable<KeelNexusHandlerOptions['plans']>,
  request: RunTaskRequest,
  jobId: string,
): Promise<{ pass: GatePass } | { refusal: NonNullable<NexusTaskRequest['refusal']> }> {
  const endpoint = operationInfo().endpoint;
  const auth = await plans.tenants.byId(request.tenantId, `nexus:${endpoint}`);
  if (!auth.ok)
    return refused(
      auth.refusal === 'suspended'
        ? ProblemError.of('tenant-suspended')
        : ProblemError.of(
            'tenant-not-found',
            `The tenant "${request.tenantId}" of endpoint "${endpoint}" does not exist.`,
          ),
    );
  const task = findServedTask(request.task);
  if (!task) return refused(ProblemError.of('unknown-task'));
  try {
    return {
      pass: await plans.gate.admit({ tenant: auth.tenant, task, request, jobId, now: Date.now() }),
    };
  } catch (err) {
    const degraded = plans.gate.degradedPass(auth.tenant, err);
    if (degraded) return { pass: degraded };
    if (!(err instanceof ProblemError)) throw err;
    // A limit with room again later: a retryable handler error, so the caller's server retries.
    if (err.slug === 'rate-limited' && !/can never pass/.test(err.message))
      throw new nexus.HandlerError('RESOURCE_EXHAUSTED', err.message);
    if (err.status === 503)
      throw new nexus.HandlerError('UNAVAILABLE', err.message, { retryableOverride: true });
    return refused(err);
  }
}

/** A refusal at the door: the problem `runNexusTask` fails the operation with. */
function refused(problem: ProblemError): { refusal: NonNullable<NexusTaskRequest['refusal']> } {
  const p = problem.toProblem();
  return {
    refusal: {
      slug: problem.slug,
      problem: {
        type: p.type,
        title: p.title,
        status: p.status,
        detail: problem.message,
        ...(p.errors ? { errors: p.errors } : {}),
      },
    },
  };
}

/** The job's request: the operation's input as is, and the options a job reads. */
function taskRequest(args: {
  task: string;
  tenantId: string;
  requestId: string;
  body: NexusTaskInput<unknown> | undefined;
}): RunTaskRequest {
  const given = args.body?.options ?? {};
  return {
    task: args.task,
    tenantId: args.tenantId,
    requestId: args.requestId,
    input: args.body?.input,
    options: {
      ...(given.route !== undefined ? { route: given.route } : {}),
      ...(given.review !== undefined ? { review: given.review } : {}),
      ...(given.allowDegraded !== undefined ? { allowDegraded: given.allowDegraded } : {}),
    },
  };
}
