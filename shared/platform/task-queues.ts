/**
 * Keel's two task queues. Sync work (a caller waits for the answer) runs on `taskQueue`; work no
 * caller waits for (a task asked with `maxSyncMs: 0`, a batch and its items) runs on
 * `backgroundTaskQueue`, polled by a worker with slots of its own. A tenant's burst of background
 * work then queues in Temporal (in turn with other tenants' by fairness key) and takes at most the
 * background worker's slots, and the CPU they use, while sync requests find their worker's slots
 * free (docs/fairness.md).
 */
export type QueueKind = 'interactive' | 'background';

/** How much one worker runs at once (KEEL_WORKER_MAX_*, KEEL_WORKER_BACKGROUND_*). */
export interface WorkerSlots {
  workflowTasks: number;
  activities: number;
  localActivities: number;
}

/** The deployment's queues and the worker slots of each (from KeelConfig). */
export interface QueueSettings {
  taskQueue: string;
  backgroundTaskQueue: string;
  /** KEEL_WORKER_QUEUES: which queues this process's worker polls. */
  workerQueues: 'all' | QueueKind;
  workerSlots: WorkerSlots;
  backgroundSlots: WorkerSlots;
}

/** The background queue's name when KEEL_BACKGROUND_TASK_QUEUE is not set. */
export const defaultBackgroundQueue = (taskQueue: string): string => `${taskQueue}-background`;

/** A visibility filter for both of a deployment's queues (listings of its tasks, tests). */
export const keelQueuesFilter = (taskQueue: string, backgroundTaskQueue?: string): string =>
  `TaskQueue IN ('${taskQueue}', '${backgroundTaskQueue ?? defaultBackgroundQueue(taskQueue)}')`;

/** Where a task's workflow runs: `background` when its caller takes the 202 at once. */
export function queueKindOf(options: { maxSyncMs?: number }): QueueKind {
  return options.maxSyncMs === 0 ? 'background' : 'interactive';
}

/** The task queue of `kind` in this deployment. */
export function taskQueueOf(
  config: Pick<QueueSettings, 'taskQueue' | 'backgroundTaskQueue'>,
  kind: QueueKind,
): string {
  return kind === 'background' ? config.backgroundTaskQueue : config.taskQueue;
}

/** The queues a worker process polls (KEEL_WORKER_QUEUES), with the slots of each. */
export function polledQueues(
  config: QueueSettings,
): { kind: QueueKind; taskQueue: string; slots: WorkerSlots }[] {
  const all: { kind: QueueKind; taskQueue: string; slots: WorkerSlots }[] = [
    { kind: 'interactive', taskQueue: config.taskQueue, slots: config.workerSlots },
    { kind: 'background', taskQueue: config.backgroundTaskQueue, slots: config.backgroundSlots },
  ];
  return config.workerQueues === 'all' ? all : all.filter((q) => q.kind === config.workerQueues);
}
