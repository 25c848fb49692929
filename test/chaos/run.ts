import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median as medianOf } from '../../bench/lib/stats';
import { projectTemporalCli } from '../support/project-temporal-cli';
import { startMockUpstream } from '../mock-upstream';
import { ROOT } from '../support/processes';
import { runChaos, type ChaosReport, type RoundReport } from './suite';
import {
  startClusterTarget,
  startDevServerTarget,
  type ChaosTarget,
  type Topology,
} from './targets';

/**
 * `npm run chaos`: the chaos suite with its figures. Each fault `--rounds` times (default 5) under
 * a steady load, on `npm start` with a worker process (`separate`), on its default with the worker
 * inside the API (`embedded`), and on `npm run cluster` (Temporal's server on PostgreSQL, 2 + 2
 * Keel processes); medians per fault, the ledger (lost, duplicates, left running, re-runs), a
 * markdown table, and bench/results/chaos-<timestamp>.json + chaos-latest.json.
 *
 *   npm run chaos                          # all three topologies, 5 rounds
 *   npm run chaos -- --rounds 1 --faults worker,api
 *   npm run chaos -- --topology cluster
 */
const USAGE = `usage: npm run chaos -- [--rounds N] [--topology separate,embedded,cluster] [--faults a,b]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      topology: { type: 'string', default: 'separate,embedded,cluster' },
      faults: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50)
    throw new Error(`--rounds: expected an integer 1..50, got "${values.rounds}"\n${USAGE}`);
  const topologies = (values.topology ?? '').split(',').map((t) => t.trim()) as Topology[];
  const known: Topology[] = ['separate', 'embedded', 'cluster'];
  const bad = topologies.filter((t) => !known.includes(t));
  if (bad.length || !topologies.length)
    throw new Error(
      `--topology: expected a list of ${known.join(', ')}, got "${values.topology}"\n${USAGE}`,
    );
  const faults = values.faults?.split(',').map((f) => f.trim());

  const cli = await projectTemporalCli();
  // Model calls of 0.3 s (p99 0.8 s): always some in flight when a fault strikes.
  const mock = await startMockUpstream({ port: 0, slow: { medianMs: 300, p99Ms: 800 }, seed: 11 });
  const reports: ChaosReport[] = [];
  try {
    for (const topology of topologies) {
      console.log(
        `\n== ${topology}: starting ${topology === 'cluster' ? 'npm run cluster' : 'npm start'}`,
      );
      let target: ChaosTarget | undefined;
      try {
        target =
          topology === 'cluster'
            ? await startClusterTarget({ mockUrl: mock.url })
            : await startDevServerTarget({
                topology,
                mockUrl: mock.url,
                temporalCliPath: cli.path,
              });
        const wanted = faults?.filter((f) => target!.faults.some((x) => x.name === f));
        if (faults && !wanted?.length) continue;
        reports.push(
          await runChaos(target, mock, {
            rounds,
            faults: wanted,
            progress: (line) => console.log(`  ${line}`),
          }),
        );
      } finally {
        await target?.stop();
      }
    }
  } finally {
    await mock.close();
  }
  const dir = path.join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `chaos-${new Date().toISOString().replaceAll(':', '-')}.json`);
  const json = `${JSON.stringify({ rounds, reports }, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(path.join(dir, 'chaos-latest.json'), json);
  console.log(
    `\n${table(reports)}\nwrote ${path.relative(ROOT, file)} and bench/results/chaos-latest.json`,
  );
  const failed = reports.filter((r) => !clean(r));
  if (failed.length) {
    console.error(
      `\nFAILED: ${failed.map((r) => r.target).join('; ')} lost, duplicated or left work`,
    );
    process.exitCode = 1;
  }
}

export function clean(r: ChaosReport): boolean {
  const t = r.totals;
  return (
    t.notAccepted === 0 &&
    t.lost === 0 &&
    t.duplicates === 0 &&
    t.leftRunning === 0 &&
    t.errors.length === 0 &&
    t.unexplainedReruns === 0
  );
}

/** The project's median (nearest rank, bench/lib/stats.ts); null when no round had a value. */
const median = (xs: number[]): number | null => (xs.length ? medianOf(xs) : null);
const seconds = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);

/** One row per fault: medians over its rounds, then the run's ledger. */
export function table(reports: readonly ChaosReport[]): string {
  const lines = [
    '| deployment | fault | rounds | to first answer (median) | to full throughput (median) | calls in flight / re-run per fault | lost | duplicates | left running |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of reports) {
    const byFault = new Map<string, RoundReport[]>();
    for (const round of r.rounds)
      byFault.set(round.fault, [...(byFault.get(round.fault) ?? []), round]);
    for (const [fault, rs] of byFault) {
      const never = (k: 'firstMs' | 'fullMs') => rs.filter((x) => x[k] === null).length;
      const med = (k: 'firstMs' | 'fullMs') =>
        `${seconds(median(rs.flatMap((x) => (x[k] === null ? [] : [x[k]]))))}${never(k) ? ` (${never(k)} never)` : ''}`;
      lines.push(
        `| ${r.target} | ${fault} | ${rs.length} | ${med('firstMs')} | ${med('fullMs')} | ${median(rs.map((x) => x.inFlightCalls))} / ${median(rs.map((x) => x.rerunCalls))} | ${r.totals.lost} | ${r.totals.duplicates} | ${r.totals.leftRunning} |`,
      );
    }
  }
  const ledger = reports.map(
    (r) =>
      `${r.target}: ${r.totals.requests} requests, ${r.totals.accepted} accepted, ${r.totals.notAccepted} never accepted, ${r.totals.errors.length} errors; ` +
      `${r.totals.modelCalls} model calls, ${r.totals.rerunCalls} made again (${r.totals.reruns.atFault} open at a fault, ${r.totals.reruns.inRecovery} during a recovery, ${r.totals.reruns.afterTimeout} after Keel's own timeout, ${r.totals.unexplainedReruns} unexplained), ${r.totals.accountedCalls} in the jobs' meta.attempts; ${r.totals.billedNotAccounted} answered (billable) but in no job's usage`,
  );
  const odd = reports.flatMap((r) => r.totals.unexplained.map((u) => `  not explained: ${u}`));
  return [...lines, '', ...ledger, ...odd].join('\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
