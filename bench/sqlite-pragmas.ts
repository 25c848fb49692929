/**
 * `npm run bench:sqlite [-- --quick] [--rounds N] [--settings a,b] [--syncs]`: what each SQLite setting of the dev
 * server costs, side by side in one run. One dev server per setting (the real CLI, each on its own
 * SQLite file; an in-memory server as the reference), all running at once; on each, the floor's
 * worker (bench/floor/runner.ts) and the floor's shapes: bare workflow with plain and eager start,
 * one local activity, Keel's own shape (four local activities in the first workflow task, eager)
 * and one regular activity. Each setting × shape, each round: N sequential runs, then C callers for
 * T seconds; rounds rotate the order. `--syncs` then counts, per setting, the fsync/fdatasync calls
 * and the bytes the server writes for one local-activity workflow (strace on the server process).
 * Writes bench/results/sqlite-<timestamp>.json and sqlite-latest.json. See docs/sqlite-durability.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { projectTemporalCli } from '../test/support/project-temporal-cli';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { freePort } from '../test/support/free-port';
import { ROOT } from '../test/support/processes';
import { measureRound, ROUND_FLAGS, roundSettings } from './floor/round';
import { startFloorRunner, type FloorRunner } from './floor/runner';
import {
  ratio,
  rotate,
  STANDARD_SHAPES,
  summarizeRounds,
  type FloorShape,
  type RoundSample,
  type SystemSummary,
} from './floor/shape';
import { round2 } from './lib/stats';

const { values } = parseArgs({
  options: {
    ...ROUND_FLAGS,
    /** Only these settings, by id (e.g. `wal-normal,wal-off`); ratios are then ÷ the first. */
    settings: { type: 'string' },
    /** Also count syncs and bytes written per workflow (strace -f -c on each server). */
    syncs: { type: 'boolean', default: false },
  },
  strict: true,
});

const settings = {
  ...roundSettings(values),
  warmup: values.quick ? 5 : 20,
  syncRuns: values.quick ? 20 : 100,
};

/** A dev server setting: SQLite pragmas on a file, or no file at all. */
interface Candidate {
  id: string;
  name: string;
  /** undefined: in-memory server. */
  pragmas?: string[];
}

/** The SQLite default first: the ratios are against it (what `npm start` ran before). */
const ALL_CANDIDATES: Candidate[] = [
  { id: 'default', name: 'delete + full (SQLite default)', pragmas: [] },
  { id: 'delete-off', name: 'delete + off', pragmas: ['journal_mode=delete', 'synchronous=off'] },
  { id: 'wal-full', name: 'wal + full', pragmas: ['journal_mode=wal', 'synchronous=full'] },
  { id: 'wal-normal', name: 'wal + normal', pragmas: ['journal_mode=wal', 'synchronous=normal'] },
  { id: 'wal-off', name: 'wal + off', pragmas: ['journal_mode=wal', 'synchronous=off'] },
  { id: 'memory', name: 'in-memory (no file)' },
];
const CANDIDATES: Candidate[] = values.settings
  ? values.settings.split(',').map((id) => {
      const found = ALL_CANDIDATES.find((c) => c.id === id.trim());
      if (!found) {
        throw new Error(`--settings: ${id}? one of ${ALL_CANDIDATES.map((c) => c.id).join(', ')}`);
      }
      return found;
    })
  : ALL_CANDIDATES;

const SHAPES: FloorShape[] = [
  ...STANDARD_SHAPES.filter((s) => s.name !== 'three local activities, eager'),
  { name: "Keel's shape: eager, 4 LA", steps: ['local', 'local', 'local', 'local'], eager: true },
];

/** `write_bytes` of a process: bytes it caused to be sent to the storage layer (Linux /proc). */
function writeBytes(pid: number): number {
  const m = /^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

interface SyncCount {
  runs: number;
  syncsPerRun: number;
  writeKiBPerRun: number;
}

/**
 * fsync + fdatasync calls and bytes written per one-local-activity workflow, with strace attached
 * to every thread of the server. Under strace the runs are slow: this counts, it does not time.
 */
async function countSyncs(server: DevServer, runner: FloorRunner): Promise<SyncCount> {
  const pid = server.process.pid!;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-strace-'));
  const out = path.join(dir, 'strace.txt');
  const strace = spawn(
    'strace',
    ['-f', '-c', '-e', 'trace=fsync,fdatasync', '-o', out, '-p', `${pid}`],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise((resolve) => strace.once('exit', resolve));
  await new Promise((r) => setTimeout(r, 1_000)); // attached to every thread
  const shape = SHAPES.find((s) => s.name === 'one local activity, eager')!;
  const before = writeBytes(pid);
  for (let i = 0; i < settings.syncRuns; i++) await runner.run(shape);
  const written = writeBytes(pid) - before;
  strace.kill('SIGINT');
  await exited;
  const table = readFileSync(out, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  let syncs = 0;
  for (const line of table.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.at(-1) === 'fsync' || cols.at(-1) === 'fdatasync') syncs += Number(cols[3]);
  }
  return {
    runs: settings.syncRuns,
    syncsPerRun: round2(syncs / settings.syncRuns),
    writeKiBPerRun: round2(written / 1024 / settings.syncRuns),
  };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const log = (line: string): void =>
    console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cli = await projectTemporalCli();
  const dbRoot = mkdtempSync(path.join(os.tmpdir(), 'keel-bench-sqlite-'));
  const cleanups: Array<() => Promise<unknown>> = [
    () => Promise.resolve(rmSync(dbRoot, { recursive: true, force: true })),
  ];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error(err));
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const running: Array<{ candidate: Candidate; server: DevServer; runner: FloorRunner }> = [];
    for (const [i, candidate] of CANDIDATES.entries()) {
      const server = await startDevServer({
        cliPath: cli.path,
        port: await freePort(),
        ...(candidate.pragmas
          ? {
              dbFile: path.join(dbRoot, `db-${i}`, 'temporal.db'),
              sqlitePragmas: candidate.pragmas,
            }
          : {}),
      });
      cleanups.push(() => server.stop());
      const runner = await startFloorRunner(server.address);
      cleanups.push(() => runner.close());
      running.push({ candidate, server, runner });
      log(`${candidate.name}: dev server at ${server.address}`);
    }
    for (const { runner } of running) {
      for (const shape of SHAPES) for (let i = 0; i < settings.warmup; i++) await runner.run(shape);
    }

    const cells = running.flatMap(({ candidate, runner }) =>
      SHAPES.map((shape) => ({
        key: `${candidate.name} | ${shape.name}`,
        run: () => runner.run(shape),
      })),
    );
    const samples = new Map<string, RoundSample[]>(cells.map((c) => [c.key, []]));
    const roundLoadAvg: number[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      // Rotate by a step prime to the shape count, so each setting's cells move through the order.
      for (const cell of rotate(cells, r * (SHAPES.length + 1))) {
        samples.get(cell.key)!.push(await measureRound(cell.run, settings));
      }
      roundLoadAvg.push(round2(os.loadavg()[0]!));
      log(`round ${r + 1}/${settings.rounds} done (load average ${roundLoadAvg.at(-1)})`);
    }
    const summary = new Map([...samples].map(([k, s]) => [k, summarizeRounds(s)]));

    const syncs = new Map<string, SyncCount>();
    if (values.syncs) {
      for (const { candidate, server, runner } of running) {
        if (!candidate.pragmas) continue;
        syncs.set(candidate.name, await countSyncs(server, runner));
        log(`${candidate.name}: ${JSON.stringify(syncs.get(candidate.name))}`);
      }
    }

    const baseline = CANDIDATES[0]!.name;
    const table = SHAPES.map((shape) => ({
      shape: shape.name,
      settings: CANDIDATES.map((c) => {
        const m = summary.get(`${c.name} | ${shape.name}`)!;
        const b = summary.get(`${baseline} | ${shape.name}`)!;
        return {
          setting: c.name,
          pragmas: c.pragmas ?? null,
          ...m,
          vsFirst: {
            p50: ratio(m.sequential.p50, b.sequential.p50),
            p99: ratio(m.sequential.p99, b.sequential.p99),
            throughput: ratio(m.throughput, b.throughput),
          },
        };
      }),
    }));
    report(table, syncs);
    const results = {
      date: new Date().toISOString(),
      command: `npm run bench:sqlite -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: {
        cpus: os.cpus().length,
        memoryGiB: round2(os.totalmem() / 2 ** 30),
        node: process.version,
        loadAvg: os.loadavg().map(round2),
        roundLoadAvg,
      },
      versions: { temporalCli: cli.version },
      settings,
      shapes: table,
      syncs: Object.fromEntries(syncs),
    };
    const dir = path.join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `sqlite-${results.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(path.join(dir, 'sqlite-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${path.relative(ROOT, file)} and bench/results/sqlite-latest.json`);
  } finally {
    await cleanup();
  }
}

function report(
  table: Array<{
    shape: string;
    settings: Array<SystemSummary & { setting: string; vsFirst: Record<string, number | null> }>;
  }>,
  syncs: Map<string, SyncCount>,
): void {
  const num = (n: number | null): string => (n === null ? '–' : n.toFixed(n >= 100 ? 0 : 1));
  const x = (n: number | null | undefined): string => (n == null ? '–' : `${n.toFixed(2)}×`);
  console.log(
    `\nSQLite settings (${settings.rounds} rounds × ${settings.sequential} sequential, then ` +
      `${settings.concurrency} callers × ${settings.seconds} s; p50 = median of round medians; ` +
      `ratios ÷ ${CANDIDATES[0]!.name}):`,
  );
  for (const row of table) {
    console.log(`\n${row.shape}`);
    console.log(`  ${'setting'.padEnd(32)} p50 ms  p99 ms  runs/s  errors │  p50×   p99×  tput×`);
    for (const s of row.settings) {
      console.log(
        `  ${s.setting.padEnd(32)} ${num(s.sequential.p50).padStart(6)}  ${num(s.sequential.p99).padStart(6)}  ` +
          `${num(s.throughput).padStart(6)}  ${String(s.errors).padStart(6)} │ ${x(s.vsFirst.p50).padStart(6)} ` +
          `${x(s.vsFirst.p99).padStart(6)} ${x(s.vsFirst.throughput).padStart(6)}`,
      );
    }
  }
  if (syncs.size > 0) {
    console.log(`\nPer one-local-activity workflow (strace -f -c on the server):`);
    for (const [name, s] of syncs) {
      console.log(
        `  ${name.padEnd(32)} ${s.syncsPerRun.toFixed(2).padStart(6)} fsync+fdatasync  ` +
          `${s.writeKiBPerRun.toFixed(1).padStart(7)} KiB written`,
      );
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
