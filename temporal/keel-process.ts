import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { createTemporalConnector } from '../shared/platform/temporal-connection';

const ROOT = path.resolve(__dirname, '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `node --import tsx <entry>` (one node process, no tsx wrapper, so signals and kill -9
 * reach it directly) in its own process group, its output on pipes.
 */
export function spawnKeel(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return child;
}

const exitedError = (child: ChildProcess, what: string): Error =>
  new Error(`${what} exited during start-up (code ${child.exitCode}, signal ${child.signalCode})`);

/** Resolves once `GET url` answers 2xx; rejects if the process dies or time runs out. */
export async function waitForHttpOk(
  child: ChildProcess,
  url: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw exitedError(child, url);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(300);
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`);
}

/**
 * Resolves once the worker process `child` polls `taskQueue` for workflow and activity tasks: the
 * SDK's default identity is `<pid>@<host>`, so its pollers are told apart from the other worker's
 * (and from a dead predecessor's, still listed for a while).
 */
export async function waitForWorkerPolling(
  child: ChildProcess,
  options: { address: string; namespace: string; taskQueue: string; timeoutMs: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const prefix = `${child.pid}@`;
  const connection = await createTemporalConnector({
    address: options.address,
    namespace: options.namespace,
    embedded: false,
  }).connect();
  const types = [
    temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  ];
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw exitedError(child, 'the worker');
      try {
        const polling = await Promise.all(
          types.map(async (taskQueueType) => {
            const queue = await connection.workflowService.describeTaskQueue({
              namespace: options.namespace,
              taskQueue: { name: options.taskQueue },
              taskQueueType,
            });
            return (queue.pollers ?? []).some((p) => p.identity?.startsWith(prefix));
          }),
        );
        if (polling.every(Boolean)) return;
      } catch {
        // Temporal restarting: try again
      }
      await sleep(300);
    }
    throw new Error(`the worker (pid ${child.pid}) was not polling within ${options.timeoutMs} ms`);
  } finally {
    await connection.close();
  }
}
