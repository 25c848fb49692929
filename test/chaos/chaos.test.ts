import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { runChaos } from './suite';
import { startDevServerTarget, type ChaosTarget, type Topology } from './targets';

/**
 * `npm run chaos` in its bounded form (one round of every fault): `npm start`'s supervisor under
 * a steady load of sync and async tasks; kill -9 of each part in turn and of all at once, and a
 * worker frozen past the heartbeat timeout. The deployment heals itself (no one restarts anything
 * here) and the ledger holds: every accepted request completed exactly once, nothing left running,
 * every repeated model call cut off by a fault. Recovery times are printed, not asserted (they are
 * the benchmark's: `npm run chaos`).
 */
let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 300, p99Ms: 800 }, seed: 11 });
});
afterAll(() => mock?.close());

describe.each<Topology>(['separate', 'embedded'])('chaos suite, npm start (%s)', (topology) => {
  let target: ChaosTarget;
  beforeAll(async () => {
    target = await startDevServerTarget({
      topology,
      mockUrl: mock.url,
      temporalCliPath: inject('temporalCliPath'),
    });
  });
  afterAll(() => target?.stop());

  it('every fault heals by itself and the ledger holds: nothing lost, nothing done twice, nothing left running', async () => {
    const report = await runChaos(target, mock, {
      rounds: 1,
      baselineMs: 3_000,
      progress: (line) => console.log(`[chaos ${topology}] ${line}`),
    });
    const { totals } = report;
    // The load really ran through every fault, and each fault really hit calls in flight.
    expect(report.rounds.map((r) => r.fault)).toEqual(target.faults.map((f) => f.name));
    expect(totals.accepted).toBeGreaterThan(50);
    for (const round of report.rounds) {
      expect(round.firstMs, `${round.fault}: an answer after the fault`).not.toBeNull();
      // kill -9 restarts each killed part once; a frozen part is not restarted.
      const expected =
        target.faults.find((f) => f.name === round.fault)!.signal === 'SIGKILL' ? 1 : 0;
      for (const [part, n] of Object.entries(round.restarts))
        expect(n, `${round.fault}: ${part}`).toBe(expected);
    }
    expect(report.rounds.reduce((n, r) => n + r.inFlightCalls, 0)).toBeGreaterThan(0);
    expect(totals).toMatchObject({
      notAccepted: 0,
      lost: 0,
      duplicates: 0,
      leftRunning: 0,
      errors: [],
      unexplainedReruns: 0,
    });
  }, 600_000);
});
