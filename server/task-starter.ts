import { Inject, Injectable } from '@nestjs/common';
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { RunTaskRequest } from '../shared/contracts/job';
import { taskSearchAttributes } from '../shared/contracts/task-start';
import type { KeelConfig } from '../shared/platform/config';
import { taskWorkflowType } from '../shared/tasks/long-document';
import type { runTask } from '../workflows';
import { requestFingerprint, sameRequest } from './idempotency';
import { ProblemError } from './problem';
import { FlightLanded } from './single-flight/single-flight';
import { taskPriority } from '../shared/platform/task-priority';
import { queueKindOf, taskQueueOf } from '../shared/platform/task-queues';
import { CONFIG, TEMPORAL_CLIENT } from './tokens';

/**
 * Starts task workflows. With an idempotency key, a duplicate (running or finished) is not
 * started again: the existing job is returned, provided it was asked the same thing (the
 * request's fingerprint is kept in the memo).
 */
@Injectable()
export class TaskStarter {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(CONFIG) private readonly config: KeelConfig,
  ) {}

  async start(
    jobId: string,
    request: RunTaskRequest,
    idempotent: boolean,
    /** Single-flight: join the job if it runs; `FlightLanded` if it has ended. */
    shared = false,
  ): Promise<WorkflowHandle<typeof runTask>> {
    // Work no caller waits for runs on the background queue, behind its own slots; only sync work
    // is started eagerly (an eager start skips the queue, and with it the tenants' turns).
    const background = queueKindOf(request.options) === 'background';
    let handle;
    try {
      // A text past its task's single-call limit runs as chunk → map → reduce, under the same
      // job id and result shape (workflows/run-long-task.ts).
      handle = await this.client.workflow.start<typeof runTask>(taskWorkflowType(request), {
        taskQueue: taskQueueOf(this.config, background ? 'background' : 'interactive'),
        workflowId: jobId,
        args: [request],
        memo: { requestFingerprint: requestFingerprint(request) },
        // The plan's priority first, then tenant by tenant: one tenant's backlog does not hold up
        // the others' tasks on the shared workers (docs/fairness.md).
        priority: taskPriority(request),
        // With a worker in this process on the same connection, the server hands it the first
        // workflow task in the start response (no task-queue round trip).
        ...(this.config.embeddedWorker && !background ? { requestEagerStart: true } : {}),
        typedSearchAttributes: taskSearchAttributes(request),
        ...(idempotent || shared
          ? { workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE' }
          : {}),
      });
    } catch (err) {
      // A finished job is not the answer to a request made now: single-flight is no cache.
      if (shared && err instanceof WorkflowExecutionAlreadyStartedError)
        throw new FlightLanded(jobId);
      if (!idempotent || !(err instanceof WorkflowExecutionAlreadyStartedError)) {
        // Nothing was started: the caller may retry safely.
        throw ProblemError.of(
          'temporal-unavailable',
          undefined,
          {},
          {
            headers: { 'retry-after': '5' },
            cause: err,
          },
        );
      }
      handle = this.client.workflow.getHandle<typeof runTask>(jobId);
    }
    if (idempotent) {
      const memo = (await handle.describe()).memo as { requestFingerprint?: string } | undefined;
      if (!sameRequest(memo?.requestFingerprint, request)) {
        throw ProblemError.of('idempotency-key-reused', undefined, {
          jobId,
          errors: [
            { field: 'header.idempotency-key', message: 'already used for a different request' },
          ],
        });
      }
    }
    return handle;
  }
}
