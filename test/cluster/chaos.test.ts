import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectHealed } from '../chaos/expect-healed';
import { runChaos } from '../chaos/suite';
import { startClusterTarget, type ChaosTarget } from '../chaos/targets';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';

/**
 * The chaos suite on the production topology (`npm run cluster`), one round of each fault: kill -9
 * of one worker and of one API (their twins carry on), of the Temporal server and of PostgreSQL,
 * and a worker frozen past the heartbeat timeout. The supervisor restarts what died; the ledger
 * holds. `npm run chaos -- --topology cluster` runs it with figures.
 */
let mock: MockUpstream;
let target: ChaosTarget;
beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 300, p99Ms: 800 }, seed: 11 });
  target = await startClusterTarget({ mockUrl: mock.url });
});
afterAll(async () => {
  await target?.stop();
  await mock?.close();
});

describe('chaos suite, npm run cluster', () => {
  it('every fault heals by itself: nothing lost, nothing done twice, nothing left running', async () => {
    const report = await runChaos(target, mock, {
      rounds: 1,
      baselineMs: 3_000,
      progress: (line) => console.log(`[chaos cluster] ${line}`),
    });
    expectHealed(report, target);
  }, 600_000);
});
