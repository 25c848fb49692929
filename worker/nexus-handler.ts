import * as nexus from 'nexus-rpc';
import { operationInfo, startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import type { RunTaskRequest } from '../shared/contracts/job';
import {
  keelNexusService,
  NEXUS_OPERATION_TASKS,
  type NexusOperationName,
  type NexusTaskInput,
  type NexusTaskRequest,
  type NexusTaskResult,
  type RunNexusTask,
} from '../shared/contracts/nexus';
import { taskPriority } from '../shared/platform/task-priority';
import { taskWorkflowType } from '../shared/tasks/long-document';

export interface KeelNexusHandlerOptions {
  /** Keel's task queue: the jobs run there, whichever queue the endpoint targets. */
  taskQueue: string;
  /** KEEL_NEXUS_ENDPOINTS: endpoint name → tenant. */
  endpoints: Readonly<Record<string, string>>;
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
        const request = taskRequest({
          task: NEXUS_OPERATION_TASKS[name],
          tenantId: tenantOf(options.endpoints),
          requestId: ctx.requestId,
          body,
        });
        const jobId = `${request.task}-${ctx.requestId}`;
        const args: NexusTaskRequest = {
          jobId,
          workflowType: taskWorkflowType(request),
          request,
          priority: taskPriority(request),
        };
        return startWorkflow<RunNexusTask>(ctx, 'runNexusTask', {
          workflowId: `nexus-${jobId}`,
          taskQueue: options.taskQueue,
          args: [args],
          priority: args.priority,
        });
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
