import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDatabase,
} from 'kysely';
import { Pool, types } from 'pg';

/**
 * The two databases behind the tenant store. Both take the same Kysely queries; what differs is
 * how each keeps several writers exact:
 *
 * - PostgreSQL: row locks (a conditional UPDATE waits for the row and re-checks its condition)
 *   and the Migrator's advisory lock.
 * - SQLite: one writer at a time per file. Transactions start with BEGIN IMMEDIATE (take the
 *   write lock up front, so a reader never has to upgrade and fail with SQLITE_BUSY), other
 *   processes wait up to busy_timeout, and migrations run in one such transaction.
 */

/** A FIFO async lock. */
class Mutex {
  #held = false;
  readonly #waiters: Array<() => void> = [];

  async lock(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#held = false;
  }
}

/**
 * One lock per database file for the whole process. better-sqlite3 waits for SQLite's lock
 * synchronously (busy_timeout blocks the thread), so two stores of one process on one file must
 * never wait on each other inside SQLite: the one holding the lock could not run its next
 * statement while the event loop is blocked. They queue here instead; other processes queue in
 * SQLite. Module state on purpose: it describes the process, not a store.
 */
const fileLocks = new Map<string, Mutex>();

class SharedFileSqliteDriver extends SqliteDriver {
  constructor(
    config: ConstructorParameters<typeof SqliteDriver>[0],
    private readonly fileLock: Mutex,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.fileLock.lock();
    try {
      return await super.acquireConnection();
    } catch (err) {
      this.fileLock.unlock();
      throw err;
    }
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    this.fileLock.unlock();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** SQLite's DDL is transactional: the Migrator then runs all pending migrations in one transaction. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Compiled statements kept per connection; past this many distinct SQL texts the cache restarts. */
export const SQLITE_STATEMENT_CACHE = 500;

/**
 * The connection as Kysely sees it, with compiled statements reused. better-sqlite3 compiles on
 * every `prepare` (16–25 µs for the store's typical insert or select on this machine), and the
 * store sends the same few hundred SQL texts over and over. A statement still being iterated is
 * busy: that text is compiled afresh. SQLite recompiles a cached statement itself after a schema
 * change (a migration).
 */
function withStatementCache(db: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached && !cached.busy) return cached;
      const statement = db.prepare(sql);
      if (!cached) {
        if (cache.size >= SQLITE_STATEMENT_CACHE) cache.clear();
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

class SharedFileSqliteDialect extends SqliteDialect {
  constructor(
    private readonly file: string,
    private readonly open: () => SqliteDatabase,
  ) {
    super({ database: () => Promise.resolve(open()) });
  }

  override createDriver(): Driver {
    let lock = fileLocks.get(this.file);
    if (!lock) fileLocks.set(this.file, (lock = new Mutex()));
    return new SharedFileSqliteDriver({ database: () => Promise.resolve(this.open()) }, lock);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** How long a writer waits for another process's write transaction before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export function sqliteDialect(file: string): SqliteDialect {
  const resolved = path.resolve(file);
  mkdirSync(path.dirname(resolved), { recursive: true });
  return new SharedFileSqliteDialect(resolved, () => {
    const db = new Database(resolved);
    // Set before anything else so even switching to WAL waits for another process's lock.
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    // WAL: readers never block the writer, and several processes share the file.
    db.pragma('journal_mode = WAL');
    // As the embedded Temporal dev server (docs/sqlite-durability.md): a commit survives the
    // process dying; only a power loss or OS crash can lose the last ones. `full` would fsync
    // every ledger write (p99 of 50–80 ms per model call on this machine's loaded disk).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return withStatementCache(db);
  });
}

/**
 * PostgreSQL through a `pg` pool. BIGINT (and the NUMERIC that SUM over BIGINT returns) arrive as
 * numbers, as on SQLite: every value the store keeps (epoch ms, micro-USD, tokens) is far below
 * 2^53. Set per pool, not on the process-wide `pg.types`.
 */
export function postgresDialect(
  url: string,
  maxConnections = 10,
  onIdleError: (err: Error) => void = () => undefined,
): PostgresDialect {
  const pool = new Pool({
    connectionString: url,
    max: maxConnections,
    types: {
      getTypeParser: (oid, format) =>
        oid === types.builtins.INT8 || oid === types.builtins.NUMERIC
          ? (value: string): number => Number(value)
          : (types.getTypeParser(oid, format) as unknown),
    },
  });
  // An idle client's error (the server restarted, a connection was cut) is an 'error' event that
  // would end the process unheard; the pool drops that client and the next query opens another.
  pool.on('error', onIdleError);
  return new PostgresDialect({ pool });
}
