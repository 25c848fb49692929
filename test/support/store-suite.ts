import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { TenantStore, type OpenTenantStore } from '../../shared/tenancy/store';
import { startTestPostgres, type PostgresServer } from './postgres';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

export interface StoreSuite {
  /** Where a fresh, empty store lives: a new SQLite file, or a new PostgreSQL database. */
  freshTarget(kind: StoreKind): OpenTenantStore;
  /** Opens a store (migrations applied) that the suite closes after the test. */
  open(target: StoreKind | OpenTenantStore): Promise<TenantStore>;
  /** Anything else the suite should close after the test (a feed, a second connection). */
  closeAfter(o: { close: () => Promise<void> | void }): void;
}

/**
 * A store suite's hooks, for a file of tests that run on a real SQLite file and a real
 * PostgreSQL (Debian's server, started here on a free port): each test opens its own database,
 * so no test sees another's rows. Call once at the top of the file.
 */
export function useStoreSuite(name: string): StoreSuite {
  let pg: PostgresServer | undefined;
  let tmp = '';
  const toClose: Array<{ close: () => Promise<void> | void }> = [];
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), `keel-${name}-`));
    pg = await startTestPostgres();
  });
  afterEach(async () => {
    for (const o of toClose.splice(0).reverse()) await o.close();
  });
  afterAll(async () => {
    await pg?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  const freshTarget = (kind: StoreKind): OpenTenantStore => {
    if (kind === 'sqlite') return { sqlitePath: path.join(tmp, randomUUID(), 'keel.db') };
    if (!pg) throw new Error('PostgreSQL did not start');
    return { url: pg.createDatabase() };
  };
  return {
    freshTarget,
    open: async (target) => {
      const store = await TenantStore.open(
        typeof target === 'string' ? freshTarget(target) : target,
      );
      toClose.push(store);
      return store;
    },
    closeAfter: (o) => void toClose.push(o),
  };
}
