import type { ChildProcess } from 'node:child_process';
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../shared/platform/config';
import {
  SUPERVISOR_STATE_FILE,
  Supervisor,
  type PartSpec,
  type SupervisorState,
} from '../supervisor';
import { resolveSecret } from '../../shared/platform/secret-file';
import { keelProcessEnv } from '../keel-env';
import { ensureClusterBinaries } from './install';
import { spawnKeel, waitForHttpOk, waitForWorkerPolling } from '../keel-process';
import { freePortBelow, freePorts } from './ports';
import { startReaper } from '../reaper';
import {
  findPostgresBinDir,
  initPostgres,
  postgresAccount,
  runSql,
  startPostgres,
  type PostgresSettings,
} from './postgres';
import { setUpSchema } from './schema';
import { SERVICES, writeServerConfig, type ServiceName, type ServicePorts } from './server-config';
import { prepareNamespace, startTemporalServer } from './temporal-server';

export interface ClusterOptions {
  /**
   * Environment of the cluster and of its Keel processes (provider keys, KEEL_CONFIG, ...), parsed
   * with Keel's config. @default process.env
   */
  env?: NodeJS.ProcessEnv;
  /** Data: PostgreSQL's files, the server config, logs, `supervisor.json`. @default KEEL_CLUSTER_DIR, else `<KEEL_DATA_DIR>/cluster` */
  clusterDir?: string;
  /** Where the server binaries are cached (`<dir>/bin/temporal-server-v…`). @default KEEL_DATA_DIR */
  binariesDataDir?: string;
  /** @default 2 */
  workers?: number;
  /** @default 2 */
  apis?: number;
  log?: (line: string) => void;
  /** What the supervisor does once everything stopped. @default process.exit */
  exit?: (code: number) => void;
  /** Ctrl-C / SIGTERM stop the cluster, from the first part on (`npm run cluster`). @default false */
  installSignals?: boolean;
}

export interface Cluster {
  clusterDir: string;
  /** Temporal frontend `host:port`. */
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** One base URL per API process, `http://127.0.0.1:<port>`. */
  apiUrls: string[];
  /** The demo tenant's key (undefined with KEEL_DEMO_TENANT=false). */
  apiKey: string | undefined;
  /** Where the demo key came from: an operator's (`env`) is never printed. */
  apiKeySource: 'env' | 'file' | 'generated' | undefined;
  postgres: { port: number; dataDir: string };
  /** `<clusterDir>/supervisor.json`: each part's current pid, by name. */
  stateFile: string;
  /** Current pid of each part (`postgres`, `temporal`, `worker-1`, …), from the state file. */
  pids(): Record<string, number | null>;
  supervisor: Supervisor;
  /** Stops every part in reverse order (Keel processes drain first). */
  stop(): Promise<void>;
}

/** Names of the parts, in start order. */
export const partNames = (workers: number, apis: number): string[] => [
  'postgres',
  'temporal',
  ...Array.from({ length: workers }, (_, i) => `worker-${i + 1}`),
  ...Array.from({ length: apis }, (_, i) => `api-${i + 1}`),
];

/**
 * Temporal's own server on PostgreSQL, then Keel's workers and APIs as separate processes, all
 * under one supervisor (temporal/supervisor.ts) that restarts what dies. Every port is free-picked
 * at start; data stays in the cluster dir, so a second start finds the jobs of the first.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const log = options.log ?? ((line: string) => console.log(`[cluster] ${line}`));
  const baseEnv = options.env ?? process.env;
  const config = loadConfig(baseEnv, { defaults: { KEEL_DEMO_TENANT: 'true' } });
  const clusterDir = path.resolve(
    options.clusterDir ?? baseEnv.KEEL_CLUSTER_DIR ?? path.join(config.dataDir, 'cluster'),
  );
  const workers = options.workers ?? 2;
  const apis = options.apis ?? 2;

  const binaries = await ensureClusterBinaries({
    dataDir: options.binariesDataDir ?? config.dataDir,
    log,
  });
  const runAs = postgresAccount(baseEnv.KEEL_PG_OS_USER);
  mkdirSync(path.join(clusterDir, 'logs'), { recursive: true });
  // PostgreSQL runs as another account when we are root: it must reach its data dir.
  if (runAs) chmodSync(clusterDir, 0o755);

  const [pgPort, ...ports] = await freePorts(1 + SERVICES.length + apis);
  const membership = new Set<number>();
  for (const _ of SERVICES) membership.add(await freePortBelow(32_767, 20_000, membership));
  const membershipPorts = [...membership];
  const servicePorts = Object.fromEntries(
    SERVICES.map((name, i) => [
      name,
      { grpcPort: ports[i], membershipPort: membershipPorts[i] } as ServicePorts,
    ]),
  ) as Record<ServiceName, ServicePorts>;
  const apiPorts = ports.slice(SERVICES.length);
  const pg: PostgresSettings = {
    binDir: findPostgresBinDir(baseEnv.KEEL_PG_BIN_DIR),
    dataDir: path.join(clusterDir, 'postgres'),
    port: pgPort!,
    user: 'temporal',
    password: resolveSecret({ dataDir: clusterDir, name: 'postgres-password' }).value,
    runAs,
  };
  if (initPostgres(pg)) log(`initialised PostgreSQL in ${pg.dataDir}`);
  const temporalAddress = `127.0.0.1:${servicePorts.frontend.grpcPort}`;
  const configFile = path.join(clusterDir, 'temporal', 'config.yaml');
  writeServerConfig(configFile, {
    postgres: { port: pg.port, user: pg.user, password: pg.password },
    ports: servicePorts,
  });

  const { env: keelEnv, demo } = keelProcessEnv(config, baseEnv, {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    KEEL_TASK_QUEUE: config.taskQueue,
    // The production shape: workers and APIs are separate processes.
    KEEL_EMBEDDED_WORKER: 'false',
  });

  const logs = new Map<string, WriteStream>();
  const logFile = (name: string): WriteStream => {
    let stream = logs.get(name);
    if (!stream) {
      stream = createWriteStream(path.join(clusterDir, 'logs', `${name}.log`), { flags: 'a' });
      logs.set(name, stream);
    }
    return stream;
  };
  /** Every line a part prints goes to `logs/<name>.log`, from its first one on. */
  const logged =
    (name: string, spawned: (child: ChildProcess) => void) =>
    (child: ChildProcess): void => {
      child.stdout?.on('data', (c: Buffer) => logFile(name).write(c));
      child.stderr?.on('data', (c: Buffer) => logFile(name).write(c));
      spawned(child);
    };

  let schemaReady = false;
  let namespaceReady = false;
  const specs: PartSpec[] = [
    {
      name: 'postgres',
      label: 'PostgreSQL',
      stopGraceMs: 30_000,
      start: async (spawned) => {
        const child = await startPostgres(pg, { spawned: logged('postgres', spawned) });
        if (!schemaReady) {
          setUpSchema({
            sqlTool: binaries.sqlTool,
            port: pg.port,
            user: pg.user,
            password: pg.password,
          });
          schemaReady = true;
        }
        return child;
      },
    },
    {
      name: 'temporal',
      label: 'the Temporal server',
      stopGraceMs: 15_000,
      dependsOn: ['postgres'],
      start: async (spawned) => {
        const child = await startTemporalServer(
          {
            serverBin: binaries.server,
            configFile,
            address: temporalAddress,
            pidFile: path.join(clusterDir, 'temporal', 'server.pid'),
          },
          {
            // One node, and no other server of ours on this database by now: every membership
            // row is a previous instance's. Left there, the new server tries to join those dead
            // ports for 30 s (maxJoinDuration) before it serves task queues.
            beforeSpawn: () => runSql(pg, 'temporal', 'DELETE FROM cluster_membership;'),
            spawned: logged('temporal', spawned),
          },
        );
        if (!namespaceReady) {
          await prepareNamespace({
            address: temporalAddress,
            namespace: config.temporal.namespace,
            log,
          });
          namespaceReady = true;
        }
        return child;
      },
    },
    ...Array.from({ length: workers }, (_, i): PartSpec => {
      const name = `worker-${i + 1}`;
      return {
        name,
        label: `worker ${i + 1}`,
        stopGraceMs: config.shutdownGraceMs + 5_000,
        dependsOn: ['temporal'],
        start: async (spawned) => {
          const child = spawnKeel('worker/main.ts', keelEnv);
          logged(name, spawned)(child);
          await waitForWorkerPolling(child, {
            address: temporalAddress,
            namespace: config.temporal.namespace,
            taskQueue: config.taskQueue,
            timeoutMs: 90_000,
          });
          return child;
        },
      };
    }),
    ...apiPorts.map((port, i): PartSpec => {
      const name = `api-${i + 1}`;
      return {
        name,
        label: `API ${i + 1}`,
        stopGraceMs: 10_000,
        dependsOn: ['temporal'],
        start: async (spawned) => {
          const child = spawnKeel('server/main.ts', {
            ...keelEnv,
            PORT: String(port),
            HOST: '127.0.0.1',
          });
          logged(name, spawned)(child);
          await waitForHttpOk(child, `http://127.0.0.1:${port}/readyz`, 90_000);
          return child;
        },
      };
    }),
  ];

  const supervisor = new Supervisor({ log, dataDir: clusterDir, exit: options.exit });
  if (options.installSignals) supervisor.installSignals();
  // If this process dies without stopping its parts (kill -9), the reaper stops them.
  const stateFile = path.join(clusterDir, SUPERVISOR_STATE_FILE);
  startReaper({
    supervisorPid: process.pid,
    stateFile,
    dataDir: clusterDir,
    logFile: path.join(clusterDir, 'logs', 'reaper.log'),
  });
  const closeLogs = (): void => {
    for (const stream of logs.values()) stream.end();
  };
  try {
    await supervisor.startAll(specs);
  } catch (err) {
    closeLogs();
    throw err;
  }
  const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
  const endpoints = {
    temporalAddress,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    apiUrls,
    postgres: { address: `127.0.0.1:${pg.port}`, user: pg.user, passwordFile: 'postgres-password' },
    logs: 'logs/<part>.log',
  };
  writeFileSync(path.join(clusterDir, 'cluster.json'), `${JSON.stringify(endpoints, null, 2)}\n`);
  return {
    clusterDir,
    temporalAddress,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    apiUrls,
    apiKey: demo?.key,
    apiKeySource: demo?.source,
    postgres: { port: pg.port, dataDir: pg.dataDir },
    stateFile,
    pids: () => readPids(stateFile),
    supervisor,
    stop: async () => {
      await supervisor.stop(0);
      closeLogs();
    },
  };
}

/** Each part's current pid from a supervisor state file (null while it restarts). */
export function readPids(stateFile: string): Record<string, number | null> {
  if (!existsSync(stateFile)) return {};
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as SupervisorState;
  return Object.fromEntries(Object.entries(state.parts).map(([name, p]) => [name, p.pid]));
}
