/**
 * The benchmarks' own stack on loopback: a headless in-memory Temporal dev server from the real
 * CLI (or a server the caller runs), one worker process and one API process by default (any
 * number of each, or workers embedded in the APIs), with a fresh demo key and task queue.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Connection, type Client } from '@temporalio/client';
import { generatePayloadKey } from '../shared/platform/payload-codec';
import { projectTemporalCli } from '../test/support/project-temporal-cli';
import { startDevServer } from '../temporal/dev-server';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { freePort } from '../test/support/free-port';
import { startTs, stop, waitFor } from '../test/support/processes';

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
  /**
   * API processes, each on its own port, all on one task queue; `call` goes round-robin over
   * them (the load generator's own balancing, no proxy). @default 1
   */
  apis?: number;
  /**
   * Separate worker processes on the task queue, besides any embedded in the APIs.
   * @default 1, or 0 with `embeddedWorker`
   */
  workers?: number;
}

export interface BenchStack {
  /** The first API process's base URL. */
  base: string;
  /** Every API process's base URL. */
  bases: string[];
  apiKey: string;
  temporalVersion: string;
  temporalAddress: string;
  /** OS processes by role (the first of each), for RSS sampling. */
  pids(): Record<'temporal' | 'worker' | 'api', number | undefined>;
  /** A request to the next API process in turn, with the demo key. */
  call(p: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const cli = await projectTemporalCli();
  const temporal = options.temporalAddress
    ? { address: options.temporalAddress, process: undefined, stop: () => Promise.resolve() }
    : await startDevServer({ cliPath: cli.path, port: await freePort() });
  const connection = await Connection.connect({ address: temporal.address });
  await ensureSearchAttributes(connection, 'default');
  await connection.close();

  const apis = options.apis ?? 1;
  const workers = options.workers ?? (options.embeddedWorker ? 0 : 1);
  if (apis < 1 || workers < 0 || (workers === 0 && !options.embeddedWorker)) {
    throw new Error(`bench stack: ${apis} APIs and ${workers} workers run no tasks`);
  }
  const ports: number[] = [];
  while (ports.length < apis) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const apiKey = `bench_${randomUUID()}`;
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: temporal.address,
    KEEL_DEMO_TENANT: 'true',
    KEEL_DEMO_API_KEY: apiKey,
    KEEL_INPUT_KEY_SECRET: `bench-input-key-${randomUUID()}`,
    // Payloads encrypted, as `npm start` runs Keel (docs/encryption.md).
    KEEL_PAYLOAD_KEYS: generatePayloadKey(),
    KEEL_TASK_QUEUE: `bench-${randomUUID()}`,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const nodeArgs = options.cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
    : [];
  // Explicit either way, whatever the product's default is.
  env.KEEL_EMBEDDED_WORKER = options.embeddedWorker ? 'true' : 'false';
  // One data directory for the stack's processes, as npm start has: the tenant store (and
  // with it the event log and budgets) and the blobs are shared.
  const dataDir = (): string => path.join(os.tmpdir(), `keel-bench-${process.pid}-${ports[0]}`);
  const workerProcs = Array.from({ length: workers }, () =>
    startTs('worker/main.ts', { ...env, KEEL_DATA_DIR: dataDir() }, [], nodeArgs),
  );
  const servers = ports.map((port) =>
    startTs(
      'server/main.ts',
      { ...env, PORT: String(port), KEEL_DATA_DIR: dataDir() },
      [],
      nodeArgs,
    ),
  );
  const bases = ports.map((port) => `http://127.0.0.1:${port}`);
  const stopAll = async (): Promise<void> => {
    await Promise.all(servers.map((server) => stop(server)));
    await Promise.all(workerProcs.map((worker) => stop(worker)));
    await temporal.stop();
  };
  try {
    await Promise.all(
      servers.map((server, i) =>
        waitFor('stack ready', async () => (await fetch(`${bases[i]}/readyz`)).ok, {
          timeoutMs: 120_000,
          process: server,
        }),
      ),
    );
  } catch (err) {
    await stopAll();
    throw err;
  }
  let next = 0;
  return {
    base: bases[0]!,
    bases,
    apiKey,
    temporalVersion: cli.version,
    temporalAddress: temporal.address,
    pids: () => ({
      temporal: temporal.process?.pid,
      worker: (workerProcs[0] ?? servers[0]!).child.pid,
      api: servers[0]!.child.pid,
    }),
    call: (p, init = {}) =>
      fetch(`${bases[next++ % bases.length]!}${p}`, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      }),
    stop: stopAll,
  };
}

/**
 * After a system's turn under load, waits until Keel's backlog (running `runTask` workflows) is
 * gone so the next system runs alone. False when some still run after `timeoutMs`.
 */
export async function drainRuns(temporal: Client, timeoutMs = 180_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { count } = await temporal.workflow.count(
      'ExecutionStatus="Running" AND WorkflowType="runTask"',
    );
    if (count === 0) return true;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return false;
}
