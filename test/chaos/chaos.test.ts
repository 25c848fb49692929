import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { expectHealed } from './expect-healed';
import { runChaos } from './suite';
import { startDevServerTarget, type ChaosTarget, type DevServerTopology } from './targets';

/**
 * `npm run chaos` in its bounded form (one round of every fault): `npm start`'s supervisor under
 * a steady load of sync and async tasks; kill -9 of each part in turn and of all at once, and a
 * worker frozen past the heartbeat timeout. The deployment heals itself (nothing here restarts
 * anything) and the ledger holds. The cluster's run is test/cluster/chaos.test.ts.
 */
let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 300, p99Ms: 800 }, seed: 11 });
});
afterAll(() => mock?.close());

describe.each<DevServerTopology>(['separate', 'embedded'])(
  'chaos suite, npm start (%s)',
  (topology) => {
    let target: ChaosTarget;
    beforeAll(async () => {
      target = await startDevServerTarget({
        topology,
        mockUrl: mock.url,
        temporalCliPath: inject('temporalCliPath'),
      });
    });
    afterAll(() => target?.stop());

    it('every fault heals by itself: nothing lost, nothing done twice, nothing left running', async () => {
      const report = await runChaos(target, mock, {
        rounds: 1,
        baselineMs: 3_000,
        progress: (line) => console.log(`[chaos ${topology}] ${line}`),
      });
      expectHealed(report, target);
    }, 600_000);
  },
);
