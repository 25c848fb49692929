import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/**
 * PostgreSQL for the cluster: the Debian server binaries, one data directory (initdb once), one
 * loopback TCP port, no Unix socket, password (SCRAM) authentication for the `temporal` role.
 */

/** The OS account PostgreSQL runs as. PostgreSQL refuses to run as root. */
export interface OsAccount {
  name: string;
  uid: number;
  gid: number;
}

export interface PostgresSettings {
  /** Holds initdb, postgres, pg_isready, psql. */
  binDir: string;
  /** PGDATA. */
  dataDir: string;
  port: number;
  /** Superuser role created by initdb, used by Temporal and its schema tool. */
  user: string;
  password: string;
  /** Set when this process is root: PostgreSQL then runs as this account. */
  runAs?: OsAccount;
}

export class PostgresNotFoundError extends Error {
  override readonly name = 'PostgresNotFoundError';
  constructor(tried: string[]) {
    super(
      [
        'Could not find the PostgreSQL server binaries (initdb, postgres, pg_isready, psql). Tried:',
        ...tried.map((t, i) => `  ${i + 1}. ${t}`),
        'Fix one of:',
        '  - install them: `sudo apt-get install postgresql` (Debian/Ubuntu),',
        '  - or set KEEL_PG_BIN_DIR to the folder holding initdb and postgres.',
      ].join('\n'),
    );
  }
}

const hasServer = (dir: string): boolean =>
  ['initdb', 'postgres', 'pg_isready', 'psql'].every((b) => existsSync(path.join(dir, b)));

/** KEEL_PG_BIN_DIR → the newest /usr/lib/postgresql/<major>/bin → `pg_config --bindir` on PATH. */
export function findPostgresBinDir(explicit?: string): string {
  const tried: string[] = [];
  if (explicit) {
    if (hasServer(explicit)) return explicit;
    throw new PostgresNotFoundError([`KEEL_PG_BIN_DIR: ${explicit} lacks initdb/postgres`]);
  }
  tried.push('KEEL_PG_BIN_DIR: not set');
  const debian = '/usr/lib/postgresql';
  const majors = existsSync(debian)
    ? readdirSync(debian)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    const dir = path.join(debian, major, 'bin');
    if (hasServer(dir)) return dir;
  }
  tried.push(`${debian}/*/bin: ${majors.length ? 'no complete server' : 'none installed'}`);
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const fromConfig = pgConfig.status === 0 ? pgConfig.stdout.trim() : '';
  if (fromConfig && hasServer(fromConfig)) return fromConfig;
  tried.push(`pg_config --bindir: ${fromConfig || 'not on PATH'}`);
  throw new PostgresNotFoundError(tried);
}

/** Undefined when not root; as root, the `postgres` account (or KEEL_PG_OS_USER), which must exist. */
export function postgresAccount(explicitName?: string): OsAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = explicitName ?? 'postgres';
  const id = (flag: string): number => {
    const out = spawnSync('id', [flag, name], { encoding: 'utf8' });
    if (out.status !== 0) {
      throw new Error(
        `PostgreSQL refuses to run as root, and there is no OS account "${name}" to run it as: ` +
          `create one (\`useradd --system ${name}\`), set KEEL_PG_OS_USER, or run as a non-root user.`,
      );
    }
    return Number(out.stdout.trim());
  };
  return { name, uid: id('-u'), gid: id('-g') };
}

const give = (file: string, runAs: OsAccount | undefined): void => {
  if (runAs) chownSync(file, runAs.uid, runAs.gid);
};

/**
 * Creates the data directory with initdb unless it holds a cluster already. Returns whether it
 * ran. The parent folders must be traversable by `runAs` (callers chmod the cluster dir 0755).
 */
export function initPostgres(settings: PostgresSettings): boolean {
  const parent = path.dirname(settings.dataDir);
  if (
    settings.runAs &&
    spawnSync('test', ['-x', parent, '-a', '-r', parent], ids(settings.runAs)).status !== 0
  ) {
    throw new Error(
      `PostgreSQL runs as the OS account "${settings.runAs.name}" (this process is root), and that ` +
        `account cannot reach ${parent}: make it and the folders above it traversable (chmod o+x), ` +
        `or put the cluster elsewhere with KEEL_CLUSTER_DIR.`,
    );
  }
  if (existsSync(path.join(settings.dataDir, 'PG_VERSION'))) return false;
  rmSync(settings.dataDir, { recursive: true, force: true }); // a half-made one from a failed run
  mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(settings.dataDir, 0o700);
  give(settings.dataDir, settings.runAs);
  const pwFile = `${settings.dataDir}.initdb-pw`;
  writeFileSync(pwFile, `${settings.password}\n`, { mode: 0o600 });
  give(pwFile, settings.runAs);
  try {
    const out = spawnSync(
      path.join(settings.binDir, 'initdb'),
      [
        '--pgdata',
        settings.dataDir,
        '--username',
        settings.user,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { encoding: 'utf8', ...ids(settings.runAs), timeout: 120_000 },
    );
    if (out.status !== 0) {
      throw new Error(
        `initdb failed (${out.status ?? out.signal}): ${(out.stderr || out.error?.message || '').trim().slice(-1_000)}`,
      );
    }
  } finally {
    rmSync(pwFile, { force: true });
  }
  return true;
}

const ids = (runAs: OsAccount | undefined): { uid?: number; gid?: number } =>
  runAs ? { uid: runAs.uid, gid: runAs.gid } : {};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A `postmaster.pid` left behind: by a kill -9 (its process is gone: remove the file), or by a
 * PostgreSQL of ours that outlived its supervisor (still running on this data dir: stop it).
 */
export async function clearStalePostmaster(dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      // not Linux, or gone meanwhile
    }
    if (cmdline.includes(dataDir)) {
      process.kill(pid, 'SIGINT'); // fast shutdown: disconnect clients, checkpoint, exit
      const deadline = Date.now() + 30_000;
      while (alive(pid) && Date.now() < deadline) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      await sleep(200);
    }
  }
  // PostgreSQL also removes a lock file whose process is gone; doing it here says so plainly.
  if (existsSync(file) && !(pid > 0 && alive(pid))) rmSync(file, { force: true });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One `pg_isready` probe: true when the server accepts connections. */
export function postgresReady(settings: Pick<PostgresSettings, 'binDir' | 'port'>): boolean {
  const out = spawnSync(
    path.join(settings.binDir, 'pg_isready'),
    ['--host', '127.0.0.1', '--port', String(settings.port), '--dbname', 'postgres', '--quiet'],
    { timeout: 5_000 },
  );
  return out.status === 0;
}

/**
 * Starts `postgres` on 127.0.0.1:<port> and resolves once it accepts connections (after crash
 * recovery, when the last stop was a kill). Output goes to the returned process's stdout/stderr.
 */
export async function startPostgres(
  settings: PostgresSettings,
  options: { readyTimeoutMs?: number; spawned?: (child: ChildProcess) => void } = {},
): Promise<ChildProcess> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  await clearStalePostmaster(settings.dataDir);
  const child = spawn(
    path.join(settings.binDir, 'postgres'),
    [
      '-D',
      settings.dataDir,
      '-p',
      String(settings.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=', // TCP only: no socket under /var/run, nothing shared
      '-c',
      'max_connections=200', // four Temporal services × two pools each, with room
      '-c',
      'log_min_messages=warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], ...ids(settings.runAs), detached: true },
  );
  options.spawned?.(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2_000)));
  const deadline = Date.now() + readyTimeoutMs;
  while (!postgresReady(settings)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`postgres exited (code ${child.exitCode}): ${stderr.trim().slice(-800)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`postgres did not accept connections within ${readyTimeoutMs} ms`);
    }
    await sleep(200);
  }
  return child;
}

/** Runs one SQL statement with `psql` as the cluster's role; throws with psql's message. */
export function runSql(settings: PostgresSettings, database: string, sql: string): void {
  const out = spawnSync(
    path.join(settings.binDir, 'psql'),
    ['--host', '127.0.0.1', '--port', String(settings.port), '--username', settings.user],
    {
      encoding: 'utf8',
      input: sql,
      timeout: 30_000,
      env: {
        ...process.env,
        PGPASSWORD: settings.password,
        PGDATABASE: database,
        PGOPTIONS: '-c statement_timeout=20000',
      },
    },
  );
  if (out.status !== 0 || /ERROR/.test(out.stderr ?? '')) {
    throw new Error(
      `psql on ${database} failed: ${(out.stderr || out.error?.message || '').trim()}`,
    );
  }
}
