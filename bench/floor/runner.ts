/**
 * The floor's worker and clients, on any Temporal server (the one `bench:floor` starts, or the
 * one `npm run bench` runs Keel on): a bench-only worker for `floorWorkflow` in this process on
 * its own task queue, an eager client sharing the worker's `NativeConnection`, a plain client on
 * its own connection, and the history reader that counts a workflow's shape (Keel's jobs too).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { createTemporalConnector } from '../../shared/platform/temporal-connection';
import { createFloorActivities } from './activities';
import { shapeOfHistory, type FloorShape, type WorkflowShape } from './shape';
import type { floorWorkflow } from './workflows';

export interface FloorRunner {
  /** Runs one floor workflow of `shape` to completion; resolves with its workflow id. */
  run(shape: Pick<FloorShape, 'steps' | 'eager' | 'waits'>): Promise<string>;
  /** The shape of a completed workflow on this server, counted from its history. */
  shapeOf(workflowId: string): Promise<WorkflowShape>;
  /** The plain client (its own connection), e.g. for visibility queries. */
  client: Client;
  close(): Promise<void>;
}

/**
 * Starts the floor's worker. The caller must have installed the process `Runtime` (a quiet
 * logger) before, as the SDK allows one per process.
 */
export async function startFloorRunner(address: string): Promise<FloorRunner> {
  const connector = createTemporalConnector({ address, namespace: 'default', embedded: false });
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error(err));
  };
  try {
    const native = await connector.connectNative();
    cleanups.push(() => native.close());
    const taskQueue = `floor-${randomUUID()}`;
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const worker = await Worker.create({
      connection: native,
      ...connector.workerOptions(),
      taskQueue,
      workflowBundle: { code: bundle.code },
      activities: createFloorActivities(),
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    const plain = await connector.openClient();
    cleanups.push(() => plain.close());
    const eager = connector.clientOn(native);
    return {
      client: plain.client,
      async run(shape) {
        const workflowId = `floor-${randomUUID()}`;
        await (shape.eager ? eager : plain.client).workflow.execute<typeof floorWorkflow>(
          'floorWorkflow',
          {
            taskQueue,
            workflowId,
            args: [shape.steps, shape.waits ?? []],
            ...(shape.eager ? { requestEagerStart: true } : {}),
          },
        );
        return workflowId;
      },
      async shapeOf(workflowId) {
        return shapeOfHistory(await plain.client.workflow.getHandle(workflowId).fetchHistory());
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
