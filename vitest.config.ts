import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (pure code, parallel) and `integration` (a real Temporal dev server started
 * once by the global setup from the real CLI binary; files run one at a time on 2 cores).
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
