import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  findPostgresBinDir,
  initPostgres,
  postgresAccount,
  runSql,
  startPostgres,
  type PostgresSettings,
} from '../../temporal/cluster/postgres';
import { freePort } from '../../temporal/cluster/ports';

export interface PostgresServer {
  /** A URL of the `postgres` database (superuser). */
  url: string;
  port: number;
  /** Creates an empty database and returns its URL: one per test keeps tests apart. */
  createDatabase(name?: string): string;
  /** What the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL from the Debian server binaries (KEEL_PG_BIN_DIR, else
 * /usr/lib/postgresql/<major>/bin; `apt-get install postgresql`, .ci/run installs it): initdb in
 * a temporary directory, started on a free loopback port with password authentication, run as
 * the `postgres` account when this process is root (as the cluster does). `stop` ends it and
 * removes its directory.
 */
export async function startTestPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-pg-'));
  const runAs = postgresAccount(process.env.KEEL_PG_OS_USER);
  // As root, PostgreSQL runs as another account, which must reach its data directory.
  if (runAs) chmodSync(dir, 0o755);
  const settings: PostgresSettings = {
    binDir: findPostgresBinDir(process.env.KEEL_PG_BIN_DIR),
    dataDir: path.join(dir, 'data'),
    port: await freePort(),
    user: 'keel',
    password: randomBytes(12).toString('hex'),
    runAs,
  };
  let out = '';
  let exited: Promise<void> = Promise.resolve();
  let child: Awaited<ReturnType<typeof startPostgres>> | undefined;
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // fast shutdown
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    initPostgres(settings);
    child = await startPostgres(settings, {
      spawned: (c) => {
        exited = new Promise((resolve) => c.once('exit', () => resolve()));
        c.stdout?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4_000)));
        c.stderr?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4_000)));
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const base = `postgres://${settings.user}:${settings.password}@127.0.0.1:${settings.port}`;
  let databases = 0;
  return {
    url: `${base}/postgres`,
    port: settings.port,
    createDatabase: (name = `t${++databases}_${randomBytes(4).toString('hex')}`) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      runSql(settings, 'postgres', `CREATE DATABASE ${name};`);
      return `${base}/${name}`;
    },
    output: () => out,
    stop,
  };
}
