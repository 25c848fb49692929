import os from 'node:os';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { waitFor, type RunningProcess } from './processes';

const { TaskQueueType } = temporal.api.enums.v1;

/** The identity the TypeScript SDK gives a worker by default: `${pid}@${hostname}`. */
export const workerIdentity = (p: RunningProcess): string => `${p.child.pid}@${os.hostname()}`;

/** Who polls the task queue for workflow and for activity tasks, as Temporal lists them. */
export async function pollerIdentities(
  address: string,
  taskQueue: string,
  namespace = 'default',
): Promise<{ workflow: string[]; activity: string[] }> {
  const connection = await Connection.connect({ address });
  try {
    const identities = async (taskQueueType: temporal.api.enums.v1.TaskQueueType) =>
      (
        await connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType,
        })
      ).pollers?.map((p) => p.identity ?? '') ?? [];
    return {
      workflow: await identities(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
      activity: await identities(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    };
  } finally {
    await connection.close();
  }
}

/**
 * Waits until this very worker process polls the task queue for workflow and activity tasks.
 * `/readyz` cannot tell: Temporal keeps listing a killed worker's pollers for minutes, and a
 * worker's info-level "worker polling" line is not printed at the tests' log level.
 */
export async function waitForWorkerPolling(
  worker: RunningProcess,
  address: string,
  taskQueue: string,
  timeoutMs = 60_000,
): Promise<void> {
  const identity = workerIdentity(worker);
  await waitFor(
    `worker ${identity} polling ${taskQueue}`,
    async () => {
      const { workflow, activity } = await pollerIdentities(address, taskQueue);
      return workflow.includes(identity) && activity.includes(identity);
    },
    { timeoutMs, process: worker },
  );
}
