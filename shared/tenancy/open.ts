import path from 'node:path';
import type { KeelConfig } from '../platform/config';
import { createLimiter, type Limiter } from './limits';
import { TenantStore } from './store';

/** The tenant store and the limiter of one process, as the config says. */
export interface Tenancy {
  store: TenantStore;
  limiter: Limiter;
  close(): Promise<void>;
}

/** How often workers release the budget reservations of calls their process never settled. */
export const RESERVATION_SWEEP_MS = 30_000;

/** `<dataDir>/keel.db` unless KEEL_DATABASE_URL names a PostgreSQL database. */
export function tenantStorePath(config: Pick<KeelConfig, 'dataDir'>): string {
  return path.join(config.dataDir, 'keel.db');
}

/**
 * Opens the tenant store (KEEL_DATABASE_URL, else SQLite under the data dir; migrations applied)
 * and the limiter (KEEL_REDIS_URL, else this process's memory).
 */
export async function openTenancy(
  config: Pick<KeelConfig, 'dataDir' | 'databaseUrl' | 'redisUrl'> &
    Partial<Pick<KeelConfig, 'payloadKeys'>>,
  options: {
    /**
     * Every this many ms, release budget reservations whose call was never settled (its process
     * died mid-call). Workers do it; 0 = never. @default 0
     */
    sweepEveryMs?: number;
    onSweepError?: (err: unknown) => void;
  } = {},
): Promise<Tenancy> {
  const store = await TenantStore.open({
    ...(config.databaseUrl ? { url: config.databaseUrl } : { sqlitePath: tenantStorePath(config) }),
    ...(config.payloadKeys ? { secretKeys: config.payloadKeys } : {}),
  });
  // Webhook secrets written before keys were configured are sealed now (docs/encryption.md).
  await store.webhooks.sealStoredSecrets();
  const limiter = createLimiter(config.redisUrl ? { redisUrl: config.redisUrl } : {});
  const sweeper = options.sweepEveryMs
    ? setInterval(() => {
        store.sweepExpiredReservations(Date.now()).catch((err: unknown) => {
          options.onSweepError?.(err);
        });
      }, options.sweepEveryMs).unref()
    : undefined;
  return {
    store,
    limiter,
    close: async () => {
      clearInterval(sweeper);
      await limiter.close();
      await store.close();
    },
  };
}
