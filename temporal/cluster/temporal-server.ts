import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { createTemporalConnector } from '../../shared/platform/temporal-connection';
import { waitForTemporal } from '../dev-server';
import { ensureSearchAttributes } from '../search-attributes';

export interface TemporalServerSettings {
  /** The `server` binary. */
  serverBin: string;
  configFile: string;
  /** Frontend `host:port`. */
  address: string;
  /** Where the current server's pid is kept, to stop one that outlived its supervisor. */
  pidFile: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A server of ours still running from a supervisor that was killed: it would join the new one's
 * membership ring on the same database. Stopped before a new one starts.
 */
function stopLeftover(settings: TemporalServerSettings): void {
  if (!existsSync(settings.pidFile)) return;
  const pid = Number(readFileSync(settings.pidFile, 'utf8').trim());
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes(settings.configFile)) process.kill(pid, 'SIGKILL');
  } catch {
    // gone, or not ours
  }
  rmSync(settings.pidFile, { force: true });
}

/** Starts the server's four services in one process; resolves once the frontend answers. */
export async function startTemporalServer(
  settings: TemporalServerSettings,
  options: {
    readyTimeoutMs?: number;
    /** Runs once no other server of ours is running, just before this one is spawned. */
    beforeSpawn?: () => void;
    spawned?: (child: ChildProcess) => void;
  } = {},
): Promise<ChildProcess> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  stopLeftover(settings);
  options.beforeSpawn?.();
  const child = spawn(
    settings.serverBin,
    ['--config-file', settings.configFile, '--allow-no-auth', 'start'],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  if (child.pid) writeFileSync(settings.pidFile, `${child.pid}\n`);
  options.spawned?.(child);
  let output = '';
  const keep = (c: Buffer): void => void (output = (output + c.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitForTemporal(settings.address, readyTimeoutMs, () =>
      child.exitCode !== null
        ? `temporal server exited with code ${child.exitCode}: ${lastError(output)}`
        : undefined,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return child;
}

/**
 * Registers the namespace when missing, then Keel's search attributes (temporal/
 * search-attributes.ts), then waits until the frontend accepts a visibility query on them: a new
 * namespace and new attributes reach the frontend's caches a refresh later (2 s by default).
 * Retries while the history service is still starting.
 */
export async function prepareNamespace(options: {
  address: string;
  namespace: string;
  /** How long closed workflows stay listed. @default 3 */
  retentionDays?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}): Promise<void> {
  const log = options.log ?? (() => undefined);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const { namespace } = options;
  // Plain local server (no TLS, no key), through the one connection factory.
  const connection = await createTemporalConnector({
    address: options.address,
    namespace,
    embedded: false,
  }).connect();
  try {
    let lastError = '';
    let registered = false;
    let attributesAdded = false;
    while (Date.now() < deadline) {
      try {
        if (!registered) {
          registered = await describe(connection, namespace);
          if (!registered) {
            await connection.workflowService.registerNamespace({
              namespace,
              workflowExecutionRetentionPeriod: msToTs(`${options.retentionDays ?? 3} days`),
            });
            log(`registered namespace ${namespace}`);
            registered = true;
          }
        }
        if (!attributesAdded) {
          const added = await ensureSearchAttributes(connection, namespace);
          if (added.length) log(`registered search attributes ${added.join(', ')}`);
          attributesAdded = true;
        }
        await connection.workflowService.listWorkflowExecutions({
          namespace,
          pageSize: 1,
          query: "KeelTask = 'probe' AND KeelStatus = 'probe'",
        });
        return;
      } catch (err) {
        lastError = (err as Error).message;
        await sleep(500);
      }
    }
    throw new Error(`namespace ${namespace} was not ready for Keel in time: ${lastError}`);
  } finally {
    await connection.close();
  }
}

async function describe(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 5) return false; // NOT_FOUND
    throw err;
  }
}

/** The last fatal/error log line's message and error, not its Go stack trace. */
function lastError(output: string): string {
  for (const line of output.split('\n').reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      if (entry.level === 'fatal' || entry.level === 'error')
        return `${entry.msg ?? ''}${entry.error ? `: ${entry.error}` : ''}`;
    } catch {
      // not a JSON log line
    }
  }
  return output.trim().slice(-800);
}
