import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SupervisorState } from './supervisor';

/**
 * A supervisor's last line of defence (`npm start`, `npm run cluster`): a small detached process
 * that watches the supervisor and, if it dies without stopping its parts (kill -9, a crashed test
 * runner),
 * stops what `supervisor.json` still lists as running, in reverse start order: APIs, workers,
 * the Temporal server (SIGTERM), then PostgreSQL (SIGINT, its fast shutdown). A pid is only
 * signalled if it still is that part: its command line names the data dir (PostgreSQL,
 * Temporal's server, the dev server's SQLite file) or its environment names the dead supervisor (KEEL_PARENT_PID, Keel's processes).
 * After a clean stop (every part `stopped`) it just exits.
 */
const POLL_MS = 1_000;

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
const GRACE_MS = 30_000;

/** Starts the reaper for `supervisorPid`; it outlives the supervisor by design. */
export function startReaper(options: {
  supervisorPid: number;
  stateFile: string;
  /** The parts' data dir: a part's command line names it. */
  dataDir: string;
  /** Where the reaper writes what it did. */
  logFile: string;
}): void {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      __filename,
      String(options.supervisorPid),
      options.stateFile,
      options.dataDir,
    ],
    {
      detached: true,
      stdio: ['ignore', openSync(options.logFile, 'a'), 'inherit'],
    },
  );
  child.unref();
}

const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};

/** True when `pid` is still the process the supervisor started for a part. */
function isOurs(pid: number, supervisorPid: number, clusterDir: string): boolean {
  return (
    read(`/proc/${pid}/cmdline`).includes(clusterDir) ||
    read(`/proc/${pid}/environ`).includes(`KEEL_PARENT_PID=${supervisorPid} `)
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function reap(supervisorPid: number, stateFile: string, clusterDir: string): Promise<void> {
  while (isAlive(supervisorPid)) await sleep(POLL_MS);
  if (!existsSync(stateFile)) return;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as SupervisorState;
  if (state.pid !== supervisorPid) return; // a new supervisor took over the data dir
  const left = Object.entries(state.parts)
    .filter(([, p]) => p.state !== 'stopped' && p.pid && isAlive(p.pid))
    .filter(([, p]) => isOurs(p.pid!, supervisorPid, clusterDir))
    .reverse();
  // Keel's processes together, then the Temporal server, then PostgreSQL.
  const tiers = [
    left.filter(([name]) => name !== 'temporal' && name !== 'postgres'),
    left.filter(([name]) => name === 'temporal'),
    left.filter(([name]) => name === 'postgres'),
  ];
  for (const tier of tiers) {
    if (!tier.length) continue;
    console.log(
      `${new Date().toISOString()} supervisor ${supervisorPid} is gone; stopping ${tier.map(([n, p]) => `${n} (${p.pid})`).join(', ')}`,
    );
    for (const [name, part] of tier) signal(part.pid!, name === 'postgres' ? 'SIGINT' : 'SIGTERM');
    const deadline = Date.now() + GRACE_MS;
    while (tier.some(([, p]) => isAlive(p.pid!)) && Date.now() < deadline) await sleep(200);
    for (const [, part] of tier) if (isAlive(part.pid!)) signal(part.pid!, 'SIGKILL');
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone meanwhile
  }
}

if (require.main === module) {
  const [pid, stateFile, clusterDir] = process.argv.slice(2);
  reap(Number(pid), stateFile!, clusterDir!)
    .catch((err: unknown) => console.error(err))
    .finally(() => process.exit(0));
}
