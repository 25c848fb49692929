import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseSqlitePragmas } from '../shared/platform/sqlite-pragmas';
import { pingTemporal } from '../shared/platform/temporal-connection';

export interface DevServerOptions {
  cliPath: string;
  ip?: string;
  port: number;
  /** Web UI port; omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file; omit for an in-memory server (tests). */
  dbFile?: string;
  /**
   * `PRAGMA=VALUE` settings for the SQLite file (`--sqlite-pragma`; only with `dbFile`). `[]`
   * leaves SQLite's own defaults (journal_mode=delete, synchronous=full).
   * @default DEFAULT_SQLITE_PRAGMAS
   */
  sqlitePragmas?: readonly string[];
  namespace?: string;
  /** More namespaces to create (`--namespace`), e.g. one for workflows calling Keel over Nexus. */
  extraNamespaces?: readonly string[];
  /**
   * The Web UI's codec server (`--ui-codec-endpoint`): the UI posts payloads there to show them
   * decoded (Keel's API, `/codec`). Only with `uiPort`. @default none
   */
  uiCodecEndpoint?: string;
  /** How long to wait for the frontend to answer. @default 60000 */
  readyTimeoutMs?: number;
  /**
   * Task-queue fairness (`matching.enableFairness`): tasks of a backlog are dispatched in turn by
   * fairness key (Keel's: the tenant), so one tenant's burst does not queue everyone else behind
   * it. Priority keys are honoured either way (the server's priority matcher is on by default
   * since 1.31). Off only to measure what fairness buys (bench/fairness.ts). See docs/fairness.md.
   * @default true
   */
  fairness?: boolean;
  /** Called with the process as soon as it is spawned (a supervisor keeps its stderr lines). */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * WAL with synchronous=normal: a commit is an append to the write-ahead log, synced only at
 * checkpoints. Nothing the OS has received is lost when the server process dies (kill -9 included,
 * test/e2e/sqlite-durability.test.ts); a power loss or OS crash may drop the last commits, never
 * corrupt the file. Measured against the alternatives in docs/sqlite-durability.md.
 */
export const DEFAULT_SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Waits until a Temporal frontend answers at `address`, or throws after `timeoutMs`. */
export async function waitForTemporal(
  address: string,
  timeoutMs: number,
  isDead: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const dead = isDead();
    if (dead) throw new Error(dead);
    try {
      await pingTemporal(address, 1_000);
      return;
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${lastError}`);
}

export function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts `temporal server start-dev` and resolves once its frontend answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(options.port),
    '--log-level',
    'warn',
  ];
  args.push('--namespace', options.namespace ?? 'default');
  for (const namespace of options.extraNamespaces ?? []) args.push('--namespace', namespace);
  // The dev server runs one history shard, and each shard's transfer-queue reader (the loop that
  // hands a persisted workflow/activity task to matching) is rate-limited to
  // history.transferProcessorMaxPollRPS reads a second, default 20: at most one read per 50 ms
  // for the whole server. Every non-eager hand-off then waits for the next 50 ms slot (bare
  // workflow, plain start: p50 ~50 ms; WorkflowTaskScheduled→Started ~20–30 ms of it). The reader
  // is still woken by new-task notifications, not a busy poll, and tasks are persisted before
  // they are read, so raising the cap changes only how soon they are dispatched, not durability.
  // See docs/benchmarks-floor.md, "The 50 ms hand-off".
  args.push('--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000');
  if (options.fairness !== false) {
    args.push('--dynamic-config-value', 'matching.enableFairness=true');
  }
  if (options.uiPort) {
    args.push('--ui-port', String(options.uiPort));
    if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  } else args.push('--headless');
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    for (const pragma of parseSqlitePragmas(options.sqlitePragmas ?? DEFAULT_SQLITE_PRAGMAS)) {
      args.push('--sqlite-pragma', pragma);
    }
  }
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  options.onSpawn?.(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const address = `${ip}:${options.port}`;
  try {
    await waitForTemporal(address, options.readyTimeoutMs ?? 60_000, () =>
      child.exitCode !== null
        ? `temporal server start-dev exited with code ${child.exitCode}: ${stderr.trim().slice(-1_000)}`
        : undefined,
    );
  } catch (err) {
    await stopProcess(child, 2_000);
    throw err;
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://${ip}:${options.uiPort}` : undefined,
    process: child,
    stop: (graceMs = 5_000) => stopProcess(child, graceMs),
  };
}
