import { spawnSync } from 'node:child_process';

/** Temporal's two databases on PostgreSQL, and the schema each is set up with. */
export const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

export interface SchemaTarget {
  /** The `sql` binary (temporal-sql-tool). */
  sqlTool: string;
  port: number;
  user: string;
  password: string;
}

/**
 * create-database, setup-schema (version tables at 0.0) and update-schema to the latest version
 * for both databases, from the schema embedded in the tool. Idempotent: an existing database is
 * kept, setup-schema leaves a newer version alone and update-schema applies only what is missing,
 * so this runs at every start (and upgrades the schema after a server version bump).
 */
export function setUpSchema(target: SchemaTarget): void {
  for (const db of DATABASES) {
    run(target, db.name, ['create-database'], /already exists/);
    run(target, db.name, ['setup-schema', '--version', '0.0']);
    run(target, db.name, ['update-schema', '--schema-name', db.schema]);
  }
}

function run(target: SchemaTarget, database: string, args: string[], tolerate?: RegExp): void {
  const out = spawnSync(
    target.sqlTool,
    [
      '--plugin',
      'postgres12',
      '--endpoint',
      '127.0.0.1',
      '--port',
      String(target.port),
      '--user',
      target.user,
      '--database',
      database,
      ...args,
    ],
    // The password through the environment, not argv (visible in `ps`).
    { encoding: 'utf8', env: { ...process.env, SQL_PASSWORD: target.password }, timeout: 120_000 },
  );
  const output = `${out.stdout ?? ''}${out.stderr ?? ''}`;
  if (out.status === 0 || (tolerate && tolerate.test(output))) return;
  throw new Error(
    `temporal-sql-tool ${args[0]} on ${database} failed (${out.status ?? out.signal}): ${output.trim().slice(-1_000)}`,
  );
}
