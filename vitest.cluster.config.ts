import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the production topology (`npm run cluster`: Temporal's own server on
 * PostgreSQL, 2 workers, 2 APIs) started once by the test file itself. Out of `npm test`: it needs
 * the server binaries (`npm run cluster:install`, Go) and PostgreSQL, and takes minutes. CI
 * (`.ci/run`) runs it after `npm test`.
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
