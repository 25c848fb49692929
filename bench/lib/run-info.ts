import os from 'node:os';
import { round2 } from './stats';

/** The machine and the versions a bench run reports, the same in every results file. */
export function runInfo(
  temporalVersion: string,
  peers: ReadonlyArray<{ name: string; version: string }>,
) {
  return {
    machine: {
      cpus: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAvg: os.loadavg().map(round2),
    },
    versions: {
      keel: '0.1.0',
      temporal: temporalVersion,
      ...Object.fromEntries(peers.map((p) => [p.name, p.version])),
    },
  };
}
