/**
 * The benchmarks' own stack on loopback: a headless in-memory Temporal dev server from the real
 * CLI, one worker process, one API process, with a fresh demo key and task queue.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/dev-server';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { freePort } from '../test/support/free-port';
import { ROOT, startTs, stop, waitFor } from '../test/support/processes';

export interface BenchStackOptions {
  /** Extra environment for the worker and the API (e.g. the mock upstream's endpoints). */
  env?: NodeJS.ProcessEnv;
  /** Write V8 CPU profiles of the worker and the API here (`node --cpu-prof`). */
  cpuProfileDir?: string;
  /** One process: the API runs the worker too (KEEL_EMBEDDED_WORKER, eager workflow start). */
  embeddedWorker?: boolean;
  /**
   * A Temporal server the caller started and stops (several stacks on one server, the floor
   * beside them); by default the stack starts its own dev server and stops it with itself.
   */
  temporalAddress?: string;
}

export interface BenchStack {
  base: string;
  apiKey: string;
  temporalVersion: string;
  temporalAddress: string;
  /** OS processes by role, for RSS sampling. */
  pids(): Record<'temporal' | 'worker' | 'api', number | undefined>;
  call(p: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const cli = await findTemporalCli({
    dataDir: path.join(ROOT, '.keel'),
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    install: true,
  });
  const temporal = options.temporalAddress
    ? { address: options.temporalAddress, process: undefined, stop: () => Promise.resolve() }
    : await startDevServer({ cliPath: cli.path, port: await freePort() });
  const connection = await Connection.connect({ address: temporal.address });
  await ensureSearchAttributes(connection, 'default');
  await connection.close();

  const port = await freePort();
  const apiKey = `bench_${randomUUID()}`;
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: temporal.address,
    KEEL_DEMO_TENANT: 'true',
    KEEL_DEMO_API_KEY: apiKey,
    KEEL_INPUT_KEY_SECRET: `bench-input-key-${randomUUID()}`,
    PORT: String(port),
    KEEL_TASK_QUEUE: `bench-${randomUUID()}`,
    KEEL_DATA_DIR: path.join(os.tmpdir(), `keel-bench-${process.pid}-${port}`),
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const nodeArgs = options.cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
    : [];
  if (options.embeddedWorker) env.KEEL_EMBEDDED_WORKER = 'true';
  const worker = options.embeddedWorker ? undefined : startTs('worker/main.ts', env, [], nodeArgs);
  const server = startTs('server/main.ts', env, [], nodeArgs);
  const base = `http://127.0.0.1:${port}`;
  const stopAll = async (): Promise<void> => {
    await stop(server);
    if (worker) await stop(worker);
    await temporal.stop();
  };
  try {
    await waitFor('stack ready', async () => (await fetch(`${base}/readyz`)).ok, {
      timeoutMs: 120_000,
      process: server,
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    base,
    apiKey,
    temporalVersion: cli.version,
    temporalAddress: temporal.address,
    pids: () => ({
      temporal: temporal.process?.pid,
      worker: (worker ?? server).child.pid,
      api: server.child.pid,
    }),
    call: (p, init = {}) =>
      fetch(`${base}${p}`, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      }),
    stop: stopAll,
  };
}
