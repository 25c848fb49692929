/**
 * `npm run bench:floor [-- --quick] [--rounds N] [--sqlite] [--sqlite-pragma P=V]… [--topology 2x2,2x2e]`: what Temporal itself costs, next to
 * what Keel costs, on one dev server in one run. The floor: minimal workflows (bench/floor/) of
 * the shapes in issue 14 — bare with plain and eager start, one and three local activities, one
 * regular activity — client and worker in this process; plus the exact shape Keel runs, counted
 * from the history of a completed job. Keel: `classify-ticket` on the local model and on
 * `openai:ok` (the mock upstream at 0 ms), in the default two-process deployment and with
 * KEEL_EMBEDDED_WORKER=true. Each system, each round: N sequential runs, then C concurrent
 * callers for T seconds; rounds rotate the order. `--topology 2x2` adds Keel with 2 API processes
 * and 2 worker processes (`2x2e`: the APIs embed workers too) on the same server, and compares
 * its throughput and latency with the single API's in the same rounds. Prints the table with Keel ÷ floor ratios and
 * writes bench/results/floor-<timestamp>.json and floor-latest.json.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { projectTemporalCli } from '../test/support/project-temporal-cli';
import { DEFAULT_SQLITE_PRAGMAS, startDevServer } from '../temporal/dev-server';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { startMockUpstream } from '../test/mock-upstream';
import { freePort } from '../test/support/free-port';
import { ROOT } from '../test/support/processes';
import { upstreamEnv } from '../test/support/upstream-env';
import { measureRound, ROUND_FLAGS, roundSettings } from './floor/round';
import { startFloorRunner, type FloorRunner } from './floor/runner';
import {
  describeShape,
  describeSteps,
  ratio,
  rotate,
  shapeKey,
  STANDARD_SHAPES,
  summarizeRounds,
  type FloorShape,
  type RoundSample,
  type SystemSummary,
  type WorkflowShape,
} from './floor/shape';
import {
  BASE_TOPOLOGIES,
  baselineOf,
  compareTopology,
  describeTopology,
  parseTopologies,
  topologyKey,
  type Topology,
  type TopologyComparison,
} from './floor/topology';
import { round2 } from './lib/stats';
import { startBenchStack } from './stack';

const { values } = parseArgs({
  options: {
    ...ROUND_FLAGS,
    sqlite: { type: 'boolean', default: false },
    /** `--sqlite-pragma journal_mode=wal` (repeatable; implies --sqlite): the dev server's SQLite settings. */
    'sqlite-pragma': { type: 'string', multiple: true },
    /** The upstream's latency (ms); the floor's model-call steps wait as long. */
    'upstream-ms': { type: 'string', default: '0' },
    /** More deployments beside the two base ones, e.g. `2x2` (2 APIs + 2 workers), `2x2e`. */
    topology: { type: 'string' },
  },
  strict: true,
});

const settings = {
  ...roundSettings(values),
  warmup: values.quick ? 5 : 30,
  sqlite: values.sqlite || values['sqlite-pragma'] !== undefined,
  /** undefined: the dev server's default (DEFAULT_SQLITE_PRAGMAS). */
  sqlitePragmas: values['sqlite-pragma'],
  upstreamLatencyMs:
    Number.isInteger(Number(values['upstream-ms'])) && Number(values['upstream-ms']) >= 0
      ? Number(values['upstream-ms'])
      : (() => {
          throw new Error(`--upstream-ms: a whole number of ms ≥ 0, got ${values['upstream-ms']}`);
        })(),
  /** Beyond the base deployments (a repeated base one is dropped). */
  topologies: parseTopologies(values.topology).filter(
    (t) => !BASE_TOPOLOGIES.some((b) => topologyKey(b) === topologyKey(t)),
  ),
};

/** One measured system: a single operation that throws on failure. */
interface BenchSystem {
  name: string;
  once(i: number): Promise<void>;
}

// ---- Keel's processes on the floor's dev server (bench/stack.ts starts its own server) ----

interface KeelStack {
  name: string;
  route: string;
  embedded: boolean;
  topology: Topology;
  call(body: unknown): Promise<Response>;
  stop(): Promise<void>;
}

async function startKeel(
  temporalAddress: string,
  mockUrl: string,
  topology: Topology,
): Promise<Omit<KeelStack, 'name' | 'route'>> {
  const stack = await startBenchStack({
    temporalAddress,
    env: upstreamEnv(mockUrl),
    embeddedWorker: topology.embedded,
    apis: topology.apis,
    workers: topology.workers,
  });
  return {
    embedded: topology.embedded,
    topology,
    call: (body) =>
      stack.call('/v1/tasks/classify-ticket', { method: 'POST', body: JSON.stringify(body) }),
    stop: () => stack.stop(),
  };
}

function keelSystem(stack: KeelStack, lastJob: { id?: string }): BenchSystem {
  return {
    name: stack.name,
    async once(i) {
      const res = await stack.call({
        input: { subject: 'Refund', body: `I was charged twice (order ${i})` },
        options: { route: [stack.route] },
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${stack.name}: ${res.status} ${text.slice(0, 300)}`);
      lastJob.id = (JSON.parse(text) as { jobId: string }).jobId;
    },
  };
}

function floorSystem(shape: FloorShape, runner: FloorRunner, last: { id?: string }): BenchSystem {
  return {
    name: shape.name,
    async once() {
      last.id = await runner.run(shape);
    },
  };
}

// ---- the run ----

interface KeelResult {
  name: string;
  route: string;
  embedded: boolean;
  /** `1x1`, `1x0e`, `2x2`...: API processes x worker processes, `e` = embedded worker. */
  topology: string;
  jobId: string;
  shape: WorkflowShape;
  floorShape: string;
  summary: SystemSummary;
  floor: SystemSummary;
  ratios: { p50: number | null; p99: number | null; throughput: number | null };
  /** The same ratios against the nearest of the five standard shapes. */
  nearestStandard: {
    name: string;
    p50: number | null;
    p99: number | null;
    throughput: number | null;
  };
}

/** The standard shape closest to Keel's: regular activity > three LAs > one LA > bare. */
function nearestStandard(shape: WorkflowShape, eager: boolean): FloorShape {
  const pick = (name: string): FloorShape => STANDARD_SHAPES.find((s) => s.name === name)!;
  if (shape.activities > 0) return pick('one regular activity, eager');
  if (shape.localActivities >= 2) return pick('three local activities, eager');
  if (shape.localActivities === 1) return pick('one local activity, eager');
  return pick(eager ? 'bare workflow, eager start' : 'bare workflow, plain start');
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const log = (line: string): void =>
    console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cli = await projectTemporalCli();
  const dbDir = path.join(os.tmpdir(), `keel-bench-floor-db-${process.pid}`);
  const server = await startDevServer({
    cliPath: cli.path,
    port: await freePort(),
    ...(settings.sqlite
      ? { dbFile: path.join(dbDir, 'temporal.db'), sqlitePragmas: settings.sqlitePragmas }
      : {}),
  });
  const cleanups: Array<() => Promise<unknown>> = [
    async () => {
      await server.stop();
      rmSync(dbDir, { recursive: true, force: true });
    },
  ];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error(err));
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    log(
      `Temporal dev server at ${server.address} (${settings.sqlite ? `SQLite file, ${(settings.sqlitePragmas ?? DEFAULT_SQLITE_PRAGMAS).join(', ') || 'SQLite defaults'}` : 'in-memory'})`,
    );
    const admin = await Connection.connect({ address: server.address });
    await ensureSearchAttributes(admin, 'default');
    await admin.close();
    const mock = await startMockUpstream({ port: 0, latencyMs: settings.upstreamLatencyMs });
    cleanups.push(() => mock.close());
    // The floor's worker: in this process, sharing its NativeConnection with the eager client.
    const runner = await startFloorRunner(server.address);
    cleanups.push(() => runner.close());

    // Keel: every deployment on this server, each with its own task queue.
    const topologies = [...BASE_TOPOLOGIES, ...settings.topologies];
    log(`starting Keel: ${topologies.map(describeTopology).join('; ')}`);
    const deployments = await Promise.all(
      topologies.map(async (t) => {
        const d = await startKeel(server.address, mock.url, t);
        cleanups.push(() => d.stop());
        return d;
      }),
    );
    const routes = [
      { route: 'local:keel-local-1', label: 'local model' },
      { route: 'openai:ok', label: `openai:ok ${settings.upstreamLatencyMs} ms` },
    ];
    const keelStacks: KeelStack[] = routes.flatMap(({ route, label }) =>
      deployments.map((d) => ({
        ...d,
        name: `Keel, ${label}, ${describeTopology(d.topology)}`,
        route,
      })),
    );

    // Warm Keel up, then count the shape it runs from one completed job's history.
    const keel: Array<{
      stack: KeelStack;
      system: BenchSystem;
      jobId: string;
      shape: WorkflowShape;
      floor: FloorShape;
    }> = [];
    const floorShapes = [...STANDARD_SHAPES];
    for (const stack of keelStacks) {
      const lastJob: { id?: string } = {};
      const system = keelSystem(stack, lastJob);
      for (let i = 0; i < settings.warmup; i++) await system.once(i);
      const jobId = lastJob.id!;
      const shape = await runner.shapeOf(jobId);
      // The upstream's latency sits at the model calls, for the routes that reach it.
      const upstreamMs = stack.route.startsWith('local:') ? 0 : settings.upstreamLatencyMs;
      const wanted = {
        steps: shape.steps,
        eager: stack.embedded,
        ...(upstreamMs > 0
          ? { waits: shape.steps.map((_, i) => (shape.callSteps.includes(i) ? upstreamMs : 0)) }
          : {}),
      };
      let floor = floorShapes.find((s) => shapeKey(s) === shapeKey(wanted));
      if (!floor) {
        floor = {
          ...wanted,
          name: `Keel's shape: ${describeSteps(shape.steps, stack.embedded)}${upstreamMs > 0 ? `, calls wait ${upstreamMs} ms` : ''}`,
        };
        floorShapes.push(floor);
      }
      keel.push({ stack, system, jobId, shape, floor });
      log(`${stack.name}: ${describeShape(shape)} (job ${jobId})`);
    }
    const floors = floorShapes.map((shape) => {
      const last: { id?: string } = {};
      return { shape, last, system: floorSystem(shape, runner, last) };
    });
    // The floor's own histories, counted the same way: what Keel's payloads add per task.
    const floorCounted = new Map<string, WorkflowShape>();
    for (const f of floors) {
      for (let i = 0; i < settings.warmup; i++) await f.system.once(i);
      floorCounted.set(f.shape.name, await runner.shapeOf(f.last.id!));
    }

    // Rounds: every system once per round, the order rotated so none is always first.
    const systems: BenchSystem[] = [...floors.map((f) => f.system), ...keel.map((k) => k.system)];
    const samples = new Map<string, RoundSample[]>(systems.map((s) => [s.name, []]));
    // The 1-minute load average after each round: this machine is shared; read noisy rounds by it.
    const roundLoadAvg: number[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      for (const system of rotate(systems, r * 3)) {
        const sample = await measureRound((i) => system.once(i), settings);
        samples.get(system.name)!.push(sample);
      }
      roundLoadAvg.push(round2(os.loadavg()[0]!));
      log(`round ${r + 1}/${settings.rounds} done (load average ${roundLoadAvg.at(-1)})`);
    }
    const summary = new Map([...samples].map(([name, s]) => [name, summarizeRounds(s)]));

    const keelResults: KeelResult[] = keel.map((k) => {
      const mine = summary.get(k.stack.name)!;
      const floor = summary.get(k.floor.name)!;
      const std = nearestStandard(k.shape, k.stack.embedded);
      const stdSummary = summary.get(std.name)!;
      return {
        name: k.stack.name,
        route: k.stack.route,
        embedded: k.stack.embedded,
        topology: topologyKey(k.stack.topology),
        jobId: k.jobId,
        shape: k.shape,
        floorShape: k.floor.name,
        summary: mine,
        floor,
        ratios: {
          p50: ratio(mine.sequential.p50, floor.sequential.p50),
          p99: ratio(mine.sequential.p99, floor.sequential.p99),
          throughput: ratio(mine.throughput, floor.throughput),
        },
        nearestStandard: {
          name: std.name,
          p50: ratio(mine.sequential.p50, stdSummary.sequential.p50),
          p99: ratio(mine.sequential.p99, stdSummary.sequential.p99),
          throughput: ratio(mine.throughput, stdSummary.throughput),
        },
      };
    });

    // Scale-out: each extra topology against the single API of the same worker placement.
    const topologyResults = keel
      .filter((k) => !BASE_TOPOLOGIES.includes(k.stack.topology))
      .map((k) => {
        const baseKey = topologyKey(baselineOf(k.stack.topology));
        const base = keel.find(
          (b) => b.stack.route === k.stack.route && topologyKey(b.stack.topology) === baseKey,
        )!;
        return compareTopology(
          k.stack.route,
          k.stack.topology,
          summary.get(k.stack.name)!,
          summary.get(base.stack.name)!,
        );
      });

    report(floorShapes, summary, keelResults, floorCounted);
    reportTopologies(topologyResults);
    const sdkVersion = (
      JSON.parse(
        readFileSync(path.join(ROOT, 'node_modules/@temporalio/worker/package.json'), 'utf8'),
      ) as { version: string }
    ).version;
    const results = {
      date: new Date().toISOString(),
      command: `npm run bench:floor -- ${process.argv.slice(2).join(' ')}`.trim(),
      quick: values.quick,
      machine: {
        cpus: os.cpus().length,
        memoryGiB: round2(os.totalmem() / 2 ** 30),
        node: process.version,
        loadAvg: os.loadavg().map(round2),
        roundLoadAvg,
      },
      versions: { temporalCli: cli.version, temporalSdk: sdkVersion },
      settings: { ...settings, temporalServer: settings.sqlite ? 'sqlite-file' : 'in-memory' },
      floor: floorShapes.map((s) => ({
        ...s,
        description: describeSteps(s.steps, s.eager),
        counted: floorCounted.get(s.name),
        ...summary.get(s.name)!,
      })),
      keel: keelResults,
      topologies: topologyResults,
    };
    const dir = path.join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `floor-${results.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(path.join(dir, 'floor-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${path.relative(ROOT, file)} and bench/results/floor-latest.json`);
  } finally {
    await cleanup();
  }
}

function report(
  floorShapes: FloorShape[],
  summary: Map<string, SystemSummary>,
  keel: KeelResult[],
  counted: Map<string, WorkflowShape>,
): void {
  const pad = (s: string, n: number): string => s.padEnd(n);
  const num = (n: number | null): string => (n === null ? '–' : n.toFixed(n >= 100 ? 0 : 1));
  const x = (n: number | null): string => (n === null ? '–' : `${n.toFixed(2)}×`);
  console.log(
    `\nFloor (${settings.rounds} rounds × ${settings.sequential} sequential, then ` +
      `${settings.concurrency} callers × ${settings.seconds} s; p50 = median of round medians):`,
  );
  console.log(`${pad('shape', 58)} p50 ms  p99 ms  runs/s  errors  events  bytes`);
  for (const s of floorShapes) {
    const m = summary.get(s.name)!;
    const c = counted.get(s.name);
    console.log(
      `${pad(s.name, 58)} ${num(m.sequential.p50).padStart(6)}  ${num(m.sequential.p99).padStart(6)}  ` +
        `${num(m.throughput).padStart(6)}  ${String(m.errors).padStart(6)}  ` +
        `${String(c?.events ?? '–').padStart(6)}  ${String(c?.historyBytes ?? '–').padStart(5)}`,
    );
  }
  console.log(`\nKeel (classify-ticket, HTTP included) ÷ the floor of the shape it runs:`);
  console.log(
    `${pad('system', 40)} p50 ms  p99 ms  tasks/s  errors │ floor p50/p99/runs/s    │ ratio p50   p99   tput`,
  );
  for (const k of keel) {
    const s = k.summary;
    console.log(
      `${pad(k.name, 40)} ${num(s.sequential.p50).padStart(6)}  ${num(s.sequential.p99).padStart(6)}  ` +
        `${num(s.throughput).padStart(7)}  ${String(s.errors).padStart(6)} │ ` +
        `${pad(`${num(k.floor.sequential.p50)} / ${num(k.floor.sequential.p99)} / ${num(k.floor.throughput)}`, 22)} │ ` +
        `${x(k.ratios.p50).padStart(9)} ${x(k.ratios.p99).padStart(6)} ${x(k.ratios.throughput).padStart(6)}`,
    );
    console.log(
      `  per task: ${describeShape(k.shape)}; vs "${k.nearestStandard.name}": ` +
        `${x(k.nearestStandard.p50)} / ${x(k.nearestStandard.p99)} / ${x(k.nearestStandard.throughput)}`,
    );
  }
}

function reportTopologies(rows: TopologyComparison[]): void {
  if (!rows.length) return;
  const num = (n: number): string => n.toFixed(n >= 100 ? 0 : 1);
  const lat = (p: { p50: number; p99: number }): string => `${num(p.p50)} / ${num(p.p99)}`;
  console.log(
    `\nScale-out on one Temporal server (${settings.concurrency} callers round-robin over the APIs; ` +
      `latency p50 / p99 ms):`,
  );
  console.log(
    `${'route'.padEnd(20)} ${'deployment'.padEnd(10)} tasks/s  under load      one at a time │ vs baseline`,
  );
  for (const r of rows) {
    for (const [label, key] of [
      [r.topology, 'topology'],
      [r.baseline, 'baseline'],
    ] as const) {
      console.log(
        `${r.route.padEnd(20)} ${label.padEnd(10)} ${num(r.throughput[key]).padStart(7)}  ` +
          `${lat(r.concurrent[key]).padEnd(14)}  ${lat(r.sequential[key]).padEnd(13)} │` +
          (key === 'topology' ? ` throughput ${r.throughput.ratio ?? '–'}×` : ''),
      );
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
