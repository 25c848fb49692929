/**
 * `npm run bench:floor [-- --quick] [--rounds N] [--sqlite]`: what Temporal itself costs, next to
 * what Keel costs, on one dev server in one run. The floor: minimal workflows (bench/floor/) of
 * the shapes in issue 14 — bare with plain and eager start, one and three local activities, one
 * regular activity — client and worker in this process; plus the exact shape Keel runs, counted
 * from the history of a completed job. Keel: `classify-ticket` on the local model and on
 * `openai:ok` (the mock upstream at 0 ms), in the default two-process deployment and with
 * KEEL_EMBEDDED_WORKER=true. Each system, each round: N sequential runs, then C concurrent
 * callers for T seconds; rounds rotate the order. Prints the table with Keel ÷ floor ratios and
 * writes bench/results/floor-<timestamp>.json and floor-latest.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createTemporalConnector } from '../shared/platform/temporal-connection';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/dev-server';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { startMockUpstream } from '../test/mock-upstream';
import { freePort } from '../test/support/free-port';
import { ROOT } from '../test/support/processes';
import { upstreamEnv } from '../test/support/upstream-env';
import { createFloorActivities } from './floor/activities';
import {
  describeSteps,
  ratio,
  rotate,
  shapeKey,
  shapeOfHistory,
  STANDARD_SHAPES,
  summarizeRounds,
  type FloorShape,
  type RoundSample,
  type SystemSummary,
  type WorkflowShape,
} from './floor/shape';
import type { floorWorkflow } from './floor/workflows';
import { round2 } from './lib/stats';
import { startBenchStack } from './stack';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    sequential: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string' },
    sqlite: { type: 'boolean', default: false },
  },
  strict: true,
});

function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: a positive integer, got ${value}`);
  return n;
}
const settings = {
  rounds: intFlag('rounds', values.rounds, values.quick ? 2 : 3),
  sequential: intFlag('sequential', values.sequential, values.quick ? 15 : 60),
  concurrency: intFlag('concurrency', values.concurrency, 16),
  seconds: intFlag('seconds', values.seconds, values.quick ? 2 : 5),
  warmup: values.quick ? 5 : 30,
  sqlite: values.sqlite,
  upstreamLatencyMs: 0,
};

/** One measured system: a single operation that throws on failure. */
interface BenchSystem {
  name: string;
  once(i: number): Promise<void>;
}

async function measureRound(system: BenchSystem): Promise<RoundSample> {
  const sample: RoundSample = {
    sequential: [],
    concurrent: [],
    completed: 0,
    errors: 0,
    elapsedMs: 0,
  };
  let i = 0;
  for (let k = 0; k < settings.sequential; k++) {
    const t0 = performance.now();
    try {
      await system.once(i++);
      sample.sequential.push(performance.now() - t0);
    } catch {
      sample.errors++;
    }
  }
  const durationMs = settings.seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (performance.now() - started < durationMs) {
        const t0 = performance.now();
        try {
          await system.once(i++);
          sample.concurrent.push(performance.now() - t0);
          sample.completed++;
        } catch {
          sample.errors++;
        }
      }
    }),
  );
  sample.elapsedMs = performance.now() - started;
  return sample;
}

// ---- Keel's processes on the floor's dev server (bench/stack.ts starts its own server) ----

interface KeelStack {
  name: string;
  route: string;
  embedded: boolean;
  call(body: unknown): Promise<Response>;
  stop(): Promise<void>;
}

async function startKeel(
  temporalAddress: string,
  mockUrl: string,
  embedded: boolean,
): Promise<Omit<KeelStack, 'name' | 'route'>> {
  const stack = await startBenchStack({
    temporalAddress,
    env: upstreamEnv(mockUrl),
    embeddedWorker: embedded,
  });
  return {
    embedded,
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

function floorSystem(
  shape: FloorShape,
  clients: { eager: Client; plain: Client },
  taskQueue: string,
): BenchSystem {
  return {
    name: shape.name,
    async once() {
      await (shape.eager ? clients.eager : clients.plain).workflow.execute<typeof floorWorkflow>(
        'floorWorkflow',
        {
          taskQueue,
          workflowId: `floor-${randomUUID()}`,
          args: [shape.steps],
          ...(shape.eager ? { requestEagerStart: true } : {}),
        },
      );
    },
  };
}

// ---- the run ----

interface KeelResult {
  name: string;
  route: string;
  embedded: boolean;
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
  const cli = await findTemporalCli({
    dataDir: path.join(ROOT, '.keel'),
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    install: true,
  });
  const dbDir = path.join(os.tmpdir(), `keel-bench-floor-db-${process.pid}`);
  const server = await startDevServer({
    cliPath: cli.path,
    port: await freePort(),
    ...(settings.sqlite ? { dbFile: path.join(dbDir, 'temporal.db') } : {}),
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
      `Temporal dev server at ${server.address} (${settings.sqlite ? 'SQLite file' : 'in-memory'})`,
    );
    const connector = createTemporalConnector({
      address: server.address,
      namespace: 'default',
      embedded: false,
    });
    const admin = await connector.connect();
    cleanups.push(() => admin.close());
    await ensureSearchAttributes(admin, 'default');
    const mock = await startMockUpstream({ port: 0, latencyMs: settings.upstreamLatencyMs });
    cleanups.push(() => mock.close());

    // The floor's worker: in this process, sharing its NativeConnection with the eager client.
    const native: NativeConnection = await connector.connectNative();
    cleanups.push(() => native.close());
    const taskQueue = `floor-${randomUUID()}`;
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./floor/workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const worker = await Worker.create({
      connection: native,
      ...connector.workerOptions(),
      taskQueue,
      workflowBundle: { code: bundle.code },
      activities: createFloorActivities(),
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    const plain = await connector.openClient();
    cleanups.push(() => plain.close());
    const clients = { eager: connector.clientOn(native), plain: plain.client };

    // Keel: both deployments on this server, each with its own task queue.
    log('starting Keel (two-process and embedded worker)');
    const [twoProcess, embedded] = await Promise.all([
      startKeel(server.address, mock.url, false),
      startKeel(server.address, mock.url, true),
    ]);
    cleanups.push(
      () => twoProcess.stop(),
      () => embedded.stop(),
    );
    const keelStacks: KeelStack[] = [
      { ...twoProcess, name: 'Keel, local model, two processes', route: 'local:keel-local-1' },
      { ...embedded, name: 'Keel, local model, embedded worker', route: 'local:keel-local-1' },
      { ...twoProcess, name: 'Keel, openai:ok 0 ms, two processes', route: 'openai:ok' },
      { ...embedded, name: 'Keel, openai:ok 0 ms, embedded worker', route: 'openai:ok' },
    ];

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
      const shape = shapeOfHistory(await clients.plain.workflow.getHandle(jobId).fetchHistory());
      const wanted = { steps: shape.steps, eager: stack.embedded };
      let floor = floorShapes.find((s) => shapeKey(s) === shapeKey(wanted));
      if (!floor) {
        floor = { ...wanted, name: `Keel's shape: ${describeSteps(shape.steps, stack.embedded)}` };
        floorShapes.push(floor);
      }
      keel.push({ stack, system, jobId, shape, floor });
      log(
        `${stack.name}: ${shape.workflowTasks} workflow tasks, ${shape.localActivities} local ` +
          `and ${shape.activities} regular activities, ${shape.events} events, ` +
          `${shape.historyBytes} B (job ${jobId})`,
      );
    }
    const floors = floorShapes.map((shape) => ({
      shape,
      system: floorSystem(shape, clients, taskQueue),
    }));
    for (const f of floors) for (let i = 0; i < settings.warmup; i++) await f.system.once(i);

    // Rounds: every system once per round, the order rotated so none is always first.
    const systems: BenchSystem[] = [...floors.map((f) => f.system), ...keel.map((k) => k.system)];
    const samples = new Map<string, RoundSample[]>(systems.map((s) => [s.name, []]));
    // The 1-minute load average after each round: this machine is shared; read noisy rounds by it.
    const roundLoadAvg: number[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      for (const system of rotate(systems, r * 3)) {
        const sample = await measureRound(system);
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

    report(floorShapes, summary, keelResults);
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
        ...summary.get(s.name)!,
      })),
      keel: keelResults,
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
): void {
  const pad = (s: string, n: number): string => s.padEnd(n);
  const num = (n: number | null): string => (n === null ? '–' : n.toFixed(n >= 100 ? 0 : 1));
  const x = (n: number | null): string => (n === null ? '–' : `${n.toFixed(2)}×`);
  console.log(
    `\nFloor (${settings.rounds} rounds × ${settings.sequential} sequential, then ` +
      `${settings.concurrency} callers × ${settings.seconds} s; p50 = median of round medians):`,
  );
  console.log(`${pad('shape', 58)} p50 ms  p99 ms  runs/s  errors`);
  for (const s of floorShapes) {
    const m = summary.get(s.name)!;
    console.log(
      `${pad(s.name, 58)} ${num(m.sequential.p50).padStart(6)}  ${num(m.sequential.p99).padStart(6)}  ` +
        `${num(m.throughput).padStart(6)}  ${m.errors}`,
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
      `  shape: ${describeSteps(k.shape.steps, k.embedded)} (${k.shape.events} events, ` +
        `${k.shape.historyBytes} B); vs "${k.nearestStandard.name}": ` +
        `${x(k.nearestStandard.p50)} / ${x(k.nearestStandard.p99)} / ${x(k.nearestStandard.throughput)}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
