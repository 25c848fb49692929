import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster } from '../../temporal/cluster/cluster';
import { SUPERVISOR_STATE_FILE, type SupervisorState } from '../../temporal/supervisor';
import { freePort } from '../support/free-port';
import { ROOT, startTs, stop, waitFor } from '../support/processes';
import { upstreamEnv } from '../support/upstream-env';

/** A deployment under a supervisor, as the chaos suite sees it. */
export interface ChaosTarget {
  name: string;
  apis: string[];
  apiKey: string;
  temporalAddress: string;
  taskQueue: string;
  /** The supervisor's current view: each part's pid and state (supervisor.json). */
  state(): SupervisorState;
  /** The faults this topology has, in the order the suite runs them. */
  faults: Fault[];
  /** Everything the supervisor printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface Fault {
  name: string;
  /** Supervisor parts hit at once. */
  parts: string[];
  signal: 'SIGKILL' | 'SIGSTOP';
  /** SIGSTOP only: how long the parts stay frozen before SIGCONT. */
  holdMs?: number;
}

export type Topology = DevServerTopology | 'cluster';
export type DevServerTopology = 'separate' | 'embedded';

/** The activity heartbeat timeout of callModel (workflows/pipeline/proxies.ts). */
export const HEARTBEAT_TIMEOUT_MS = 5_000;

export const FAULTS: Record<Topology, Fault[]> = {
  separate: [
    { name: 'worker', parts: ['worker'], signal: 'SIGKILL' },
    { name: 'api', parts: ['api'], signal: 'SIGKILL' },
    { name: 'temporal', parts: ['temporal'], signal: 'SIGKILL' },
    { name: 'all', parts: ['api', 'worker', 'temporal'], signal: 'SIGKILL' },
    {
      name: 'worker frozen',
      parts: ['worker'],
      signal: 'SIGSTOP',
      holdMs: HEARTBEAT_TIMEOUT_MS + 3_000,
    },
  ],
  embedded: [
    { name: 'api+worker', parts: ['api'], signal: 'SIGKILL' },
    { name: 'temporal', parts: ['temporal'], signal: 'SIGKILL' },
    { name: 'all', parts: ['api', 'temporal'], signal: 'SIGKILL' },
  ],
  // One Keel process of each kind (its twin carries on), the Temporal server, PostgreSQL.
  cluster: [
    { name: 'one worker', parts: ['worker-1'], signal: 'SIGKILL' },
    { name: 'one API', parts: ['api-1'], signal: 'SIGKILL' },
    { name: 'temporal server', parts: ['temporal'], signal: 'SIGKILL' },
    { name: 'postgres', parts: ['postgres'], signal: 'SIGKILL' },
    {
      name: 'one worker frozen',
      parts: ['worker-1'],
      signal: 'SIGSTOP',
      holdMs: HEARTBEAT_TIMEOUT_MS + 3_000,
    },
  ],
};

/**
 * `npm start` exactly as a user runs it (temporal/start-all.ts: the supervisor, the dev server on
 * a SQLite file, the API, and with `separate` a worker process), on free ports and a data dir of
 * its own, its providers pointed at the mock upstream.
 */
export async function startDevServerTarget(options: {
  topology: DevServerTopology;
  mockUrl: string;
  temporalCliPath: string;
}): Promise<ChaosTarget> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-chaos-'));
  const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
  const apiKey = `keel_demo_chaos_${randomUUID().replaceAll('-', '')}`;
  const taskQueue = `chaos-${randomUUID().slice(0, 8)}`;
  const env: NodeJS.ProcessEnv = {
    ...upstreamEnv(options.mockUrl),
    KEEL_DATA_DIR: dataDir,
    PORT: String(ports.api),
    KEEL_TEMPORAL_PORT: String(ports.temporal),
    KEEL_TEMPORAL_UI_PORT: String(ports.ui),
    TEMPORAL_CLI_PATH: options.temporalCliPath,
    TEMPORAL_ADDRESS: '',
    KEEL_TASK_QUEUE: taskQueue,
    KEEL_DEMO_API_KEY: apiKey,
    KEEL_EMBEDDED_WORKER: String(options.topology === 'embedded'),
    LOG_LEVEL: 'warn',
  };
  const supervisor = startTs('temporal/start-all.ts', env);
  await waitFor('"Keel is running"', () => supervisor.output().includes('Keel is running'), {
    timeoutMs: 120_000,
    process: supervisor,
  });
  const stateFile = path.join(dataDir, SUPERVISOR_STATE_FILE);
  return {
    name: `npm start (${options.topology === 'embedded' ? 'worker inside the API' : 'worker process'}), dev server on SQLite`,
    apis: [`http://127.0.0.1:${ports.api}`],
    apiKey,
    temporalAddress: `127.0.0.1:${ports.temporal}`,
    taskQueue,
    state: () => JSON.parse(readFileSync(stateFile, 'utf8')) as SupervisorState,
    faults: FAULTS[options.topology],
    output: () => supervisor.output(),
    stop: async () => {
      await stop(supervisor, 'SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `npm run cluster`'s topology (temporal/cluster/): Temporal's own server on PostgreSQL, two
 * workers and two APIs as processes, under a supervisor in this process. Needs the binaries from
 * `npm run cluster:install`.
 */
export async function startClusterTarget(options: { mockUrl: string }): Promise<ChaosTarget> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-chaos-cluster-'));
  chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as `postgres`, which must reach its files
  const apiKey = `keel_demo_chaos_${randomUUID().replaceAll('-', '')}`;
  const lines: string[] = [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...upstreamEnv(options.mockUrl),
    KEEL_DATA_DIR: dataDir,
    KEEL_DEMO_TENANT: 'true',
    KEEL_DEMO_API_KEY: apiKey,
    KEEL_INPUT_KEY_SECRET: `chaos-input-key-${randomUUID()}`,
    KEEL_TASK_QUEUE: `chaos-${randomUUID().slice(0, 8)}`,
    LOG_LEVEL: 'warn',
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.KEEL_CLUSTER_DIR;
  const cluster = await startCluster({
    env,
    clusterDir: path.join(dataDir, 'cluster'),
    binariesDataDir: path.join(ROOT, '.keel'),
    log: (line) => lines.push(`${new Date().toISOString()} ${line}`),
    exit: () => undefined,
  });
  return {
    name: 'npm run cluster: Temporal server on PostgreSQL, 2 workers, 2 APIs',
    apis: cluster.apiUrls,
    apiKey,
    temporalAddress: cluster.temporalAddress,
    taskQueue: cluster.taskQueue,
    state: () => JSON.parse(readFileSync(cluster.stateFile, 'utf8')) as SupervisorState,
    faults: FAULTS.cluster,
    output: () => lines.join('\n'),
    stop: async () => {
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
