import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createActivities, type Activities, type ActivityDeps } from '../../activities';

function withOverrides(
  real: Activities,
  overrides?: (real: Activities) => Partial<Activities>,
): Activities {
  return { ...real, ...overrides?.(real) };
}
import type { ModelProvider } from '../../activities/models/providers/model-provider';
import { createLogger } from '../../shared/platform/logger';
import { installTemporalRuntime } from '../../shared/platform/temporal-connection';
import type { RunTaskRequest } from '../../shared/contracts/job';
import { SearchAttr } from '../../shared/contracts/messages';
import type { runTask } from '../../workflows';

try {
  installTemporalRuntime({ logger: createLogger({ name: 'test', level: 'warn' }), level: 'warn' });
} catch {
  // already installed in this process
}

export const silentLogger = createLogger({ name: 'test', level: 'silent' });

export async function connectTestClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return { client: new Client({ connection }), close: () => connection.close() };
}

/**
 * Runs `fn` while an in-process worker (the real bundle, the real activities with the given
 * providers) polls a fresh task queue on the suite's dev server.
 */
export async function withWorker<T>(
  options: {
    providers?: ModelProvider[];
    activityDeps?: Partial<ActivityDeps>;
    /** Replace single activities (e.g. an admitRequest with a shorter hard timeout). */
    overrides?: (real: Activities) => Partial<Activities>;
  },
  fn: (ctx: { client: Client; taskQueue: string }) => Promise<T>,
): Promise<T> {
  const taskQueue = `test-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const { client, close } = await connectTestClient();
  try {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: withOverrides(
        createActivities({
          logger: silentLogger,
          inputKeySecret: 'test-input-key-secret',
          providers: options.providers,
          ...options.activityDeps,
        }),
        options.overrides,
      ),
    });
    return await worker.runUntil(fn({ client, taskQueue }));
  } finally {
    await close();
    await connection.close();
  }
}

/** Starts `runTask` the way the API does: a `<task>-<uuid>` id and Keel's search attributes. */
export function startRunTask(client: Client, taskQueue: string, req: RunTaskRequest) {
  return client.workflow.start<typeof runTask>('runTask', {
    taskQueue,
    workflowId: `${req.task}-${randomUUID()}`,
    args: [req],
    typedSearchAttributes: [
      { key: SearchAttr.tenant, value: req.tenantId },
      { key: SearchAttr.task, value: req.task },
      { key: SearchAttr.status, value: 'running' },
    ],
  });
}
