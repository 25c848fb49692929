/**
 * The SQLite settings `temporal server start-dev --sqlite-pragma` applies to its file database.
 * The CLI passes any `PRAGMA=VALUE` through and SQLite ignores names it does not know, so a typo
 * would silently keep the default; Keel checks them first (KEEL_SQLITE_PRAGMAS, dev-server.ts).
 * What each value risks: docs/sqlite-durability.md.
 */
// journal_mode=memory and =off are left out: without a journal on disk, a process killed in the
// middle of a transaction can leave the file half-written, which is what Keel must never trade.
const ALLOWED: ReadonlyMap<string, readonly string[]> = new Map([
  ['journal_mode', ['delete', 'truncate', 'persist', 'wal']],
  ['synchronous', ['off', 'normal', 'full', 'extra']],
]);

export class SqlitePragmaError extends Error {
  override readonly name = 'SqlitePragmaError';
  constructor(readonly pragma: string) {
    const known = [...ALLOWED].map(([n, vs]) => `${n}=${vs.join('|')}`).join(', ');
    super(`SQLite pragma "${pragma}": expected one of ${known}`);
  }
}

/** Checks `PRAGMA=VALUE` settings; returns them lower-cased, throws on the first bad one. */
export function parseSqlitePragmas(pragmas: readonly string[]): string[] {
  return pragmas.map((raw) => {
    const [name = '', value = '', ...rest] = raw.trim().toLowerCase().split('=');
    if (rest.length > 0 || !ALLOWED.get(name)?.includes(value)) throw new SqlitePragmaError(raw);
    return `${name}=${value}`;
  });
}
