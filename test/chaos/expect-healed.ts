import { expect } from 'vitest';
import type { ChaosReport } from './suite';
import type { ChaosTarget } from './targets';

/**
 * What the bounded chaos tests assert about a run: the load ran through every fault and each
 * fault hit calls in flight; every killed part was restarted once by the supervisor (a frozen one
 * not at all) and answers came again; and the ledger holds — nothing lost, nothing done twice,
 * nothing left running, every repeated model call cut off by a fault. Recovery times are printed,
 * not asserted: they are the benchmark's (`npm run chaos`).
 */
export function expectHealed(report: ChaosReport, target: ChaosTarget): void {
  const { totals } = report;
  expect(report.rounds.map((r) => r.fault)).toEqual(target.faults.map((f) => f.name));
  expect(totals.accepted).toBeGreaterThan(50);
  for (const round of report.rounds) {
    expect(round.firstMs, `${round.fault}: an answer after the fault`).not.toBeNull();
    const fault = target.faults.find((f) => f.name === round.fault)!;
    const expected = fault.signal === 'SIGKILL' ? 1 : 0;
    for (const [part, n] of Object.entries(round.restarts))
      expect(n, `${round.fault}: restarts of ${part}`).toBe(expected);
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
}
