import { defineConfig } from 'vitest/config';

/**
 * Projects: `unit` (pure code), `upstream` (the mock upstream and the vendor SDKs), `stores` (real
 * Redis, PostgreSQL and SQLite), `cluster`
 * (Temporal's server on PostgreSQL) and `integration` (a real Temporal dev server started once by
 * the global setup from the real CLI binary). Files run one at a time on 2 cores.
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Integration files each start processes; on 2 cores they run best one at a time.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          // The fault-injecting upstream against the real vendor SDKs; loopback only, no Temporal.
          name: 'upstream',
          include: ['test/upstream/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          // The stores against real servers: Redis and PostgreSQL started by each file from the
          // Debian binaries on free ports, SQLite files in a temporary directory. No Temporal.
          name: 'stores',
          include: ['test/stores/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // The production topology (`npm run cluster`: Temporal's own server on PostgreSQL, 2
          // workers, 2 APIs), started by each file. Needs the server binaries (`npm run
          // cluster:install`, Go; built on first use otherwise) and PostgreSQL.
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'test/workflow/**/*.test.ts',
            'test/e2e/**/*.test.ts',
            'test/chaos/**/*.test.ts',
          ],
          environment: 'node',
          globalSetup: ['./test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
