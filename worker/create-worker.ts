import path from 'node:path';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

/** The bundle entry (a folder: webpack resolves index.ts in source, index.js when built). */
export const WORKFLOWS_PATH = path.join(__dirname, '../workflows');

export interface CreateKeelWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activityDeps: ActivityDeps;
  /** How long shutdown waits for in-flight activities before cancelling them. */
  shutdownGraceMs: number;
  /** A prebuilt bundle (tests build one and share it); otherwise the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** Builds the worker: bundles the workflows and wires activities to their dependencies. */
export async function createKeelWorker(options: CreateKeelWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(options.activityDeps),
    shutdownGraceTime: options.shutdownGraceMs,
    // When a worker dies, its cached workflows move to another worker after this long instead of
    // the default 10 s: tasks and the shared breakers (updates) recover quickly.
    stickyQueueScheduleToStartTimeout: '2 seconds',
  });
}
