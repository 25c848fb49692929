/**
 * `npm run bench:tracing [-- --requests N] [--warmup N] [--sampler S] [--sampler-arg A]
 * [--control] [--copies N] [--first on|off] [--profile DIR]`: what OpenTelemetry tracing adds to a sync
 * `classify-ticket` answer (docs/traces.md). Copies of `npm start`'s deployment (one API process
 * with its worker inside) on one dev server, the same mock upstream (`openai:ok`, 0 ms): N
 * (default 2) with tracing off and N with tracing on (started in ABBA order) into a real Jaeger
 * (test/support/jaeger.ts; `npm run jaeger:install` builds it), with Keel's default sampler (`--sampler default`: no traceparent is sent, so nothing is
 * recorded) or the SDK's named one (`--sampler always_on`: every span exported); `--control`
 * leaves all untraced (an A/A run: the difference this machine's noise makes). Requests go round
 * the copies, one at a time, so drift in the machine's load hits all alike; the spread between
 * copies of one configuration is this run's own noise. Prints p50/p90 of the response time and of
 * `x-keel-overhead-ms` for each, the p50 difference and its bootstrap 95 % interval, and the CPU
 * each API process (its worker inside) spent per request; writes
 * bench/results/tracing-<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectTemporalCli } from '../test/support/project-temporal-cli';
import { startDevServer } from '../temporal/dev-server';
import { startMockUpstream } from '../test/mock-upstream';
import { freePort } from '../test/support/free-port';
import { startJaeger } from '../test/support/jaeger';
import { ROOT } from '../test/support/processes';
import { upstreamEnv } from '../test/support/upstream-env';
import { cpuMs, threadCpuMs } from './lib/proc-stats';
import { latencyStats, loadAverage, median, percentile, round2 } from './lib/stats';
import { startBenchStack, type BenchStack } from './stack';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '30' },
    /**
     * OTEL_TRACES_SAMPLER of the traced stack: `default` leaves it unset (Keel's default: nothing
     * of its own recorded, a sampled caller's traceparent is), `always_on` records every request.
     */
    sampler: { type: 'string', default: 'default' },
    /** OTEL_TRACES_SAMPLER_ARG, e.g. `0.1` with `parentbased_traceidratio`. */
    'sampler-arg': { type: 'string' },
    /** A/A control: the second stack untraced too, to see this machine's noise in the difference. */
    control: { type: 'boolean', default: false },
    /** Write V8 CPU profiles of each stack's API process to `<dir>/off` and `<dir>/on`. */
    profile: { type: 'string' },
    /**
     * Copies of each configuration (API processes, each with its worker inside), started in ABBA
     * order: with 2 or more, the spread between copies of one configuration is printed beside
     * the difference, so one run shows its own noise.
     */
    copies: { type: 'string', default: '2' },
    /**
     * Which configuration starts first (ABBA or BAAB). The copy started last has been seen to run
     * fastest on this machine, so alternate it between runs.
     */
    first: { type: 'string', default: 'off' },
  },
  strict: true,
});
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const PAIRS = Math.max(1, Number(values.copies));

interface Sample {
  ms: number;
  overheadMs: number;
}

async function classify(stack: BenchStack, n: number): Promise<Sample> {
  const started = performance.now();
  const res = await stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: 'Refund', body: `I was charged twice, order ${n}.` },
      options: { route: ['openai:ok'] },
    }),
  });
  await res.arrayBuffer();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`classify-ticket answered ${res.status}`);
  return { ms, overheadMs: Number(res.headers.get('x-keel-overhead-ms')) };
}

/** p50(on) − p50(off), resampled 2,000 times: its 2.5th and 97.5th percentiles. */
function p50DifferenceCi(on: number[], off: number[]): [number, number] {
  const p50OfResample = (xs: number[]): number =>
    median(Array.from(xs, () => xs[Math.floor(Math.random() * xs.length)]!));
  const diffs = Array.from({ length: 2_000 }, () => p50OfResample(on) - p50OfResample(off)).sort(
    (a, b) => a - b,
  );
  return [round2(percentile(diffs, 2.5)), round2(percentile(diffs, 97.5))];
}

/** Each configuration's stacks, started in ABBA order so neither always starts first. */
type Which = 'off' | 'on';
interface Copy {
  which: Which;
  stack: BenchStack;
  samples: Sample[];
  cpuBefore: number;
  threadsBefore: Map<string, number>;
}

/** Median over rounds of (mean of the `on` copies − mean of the `off` copies) in that round. */
function pairedMedian(copies: Copy[], pick: (s: Sample) => number): number {
  const rounds = copies[0]!.samples.length;
  const diffs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const mean = (which: Which) => {
      const xs = copies.filter((c) => c.which === which).map((c) => pick(c.samples[i]!));
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    diffs.push(mean('on') - mean('off'));
  }
  return round2(median(diffs));
}

async function main(): Promise<void> {
  const cli = await projectTemporalCli();
  const temporal = await startDevServer({ cliPath: cli.path, port: await freePort() });
  const mock = await startMockUpstream({ port: 0 });
  const jaeger = await startJaeger();
  const copies: Copy[] = [];
  try {
    const common = { embeddedWorker: true, temporalAddress: temporal.address };
    const envOf = (which: Which): NodeJS.ProcessEnv =>
      which === 'off' || values.control
        ? upstreamEnv(mock.url)
        : {
            ...upstreamEnv(mock.url),
            OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
            OTEL_SERVICE_NAME: 'keel-bench',
            ...(values.sampler === 'default' ? {} : { OTEL_TRACES_SAMPLER: values.sampler }),
            ...(values['sampler-arg'] ? { OTEL_TRACES_SAMPLER_ARG: values['sampler-arg'] } : {}),
          };
    // off, on, on, off, off, on, …: a copy's start position (the machine's state while it
    // booted, its neighbours) weighs on both configurations alike.
    const [a, b]: [Which, Which] = values.first === 'on' ? ['on', 'off'] : ['off', 'on'];
    const order: Which[] = Array.from({ length: 2 * PAIRS }, (_, i) =>
      i % 4 === 0 || i % 4 === 3 ? a : b,
    );
    for (const [i, which] of order.entries()) {
      const stack = await startBenchStack({
        ...common,
        ...(values.profile ? { cpuProfileDir: path.join(values.profile, `${which}-${i}`) } : {}),
        env: envOf(which),
      });
      copies.push({ which, stack, samples: [], cpuBefore: 0, threadsBefore: new Map() });
    }
    for (let i = 0; i < WARMUP; i++) for (const c of copies) await classify(c.stack, i);
    // The API process's CPU (its worker inside), user + system, over the measured requests: a
    // steadier figure than the response time on a shared machine (the Temporal server's and
    // Jaeger's are not in it).
    for (const c of copies) {
      c.cpuBefore = cpuMs(c.stack.pids().api);
      c.threadsBefore = threadCpuMs(c.stack.pids().api);
    }
    for (let i = 0; i < REQUESTS; i++) {
      // Rotate which copy goes first, so none always follows another.
      for (let k = 0; k < copies.length; k++) {
        const c = copies[(i + k) % copies.length]!;
        c.samples.push(await classify(c.stack, WARMUP + i));
      }
    }
    const perCopy = copies.map((c) => ({
      which: c.which,
      responseP50Ms: latencyStats(c.samples.map((x) => x.ms)).p50,
      overheadP50Ms: latencyStats(c.samples.map((x) => x.overheadMs)).p50,
      cpuPerRequestMs: round2((cpuMs(c.stack.pids().api) - c.cpuBefore) / REQUESTS),
      /** The same by thread name: which threads the difference is in (JS, GC, Temporal's core). */
      threadCpuPerRequestMs: Object.fromEntries(
        [...threadCpuMs(c.stack.pids().api)].map(([name, ms]) => [
          name,
          round2((ms - (c.threadsBefore.get(name) ?? 0)) / REQUESTS),
        ]),
      ),
    }));
    const pooled = (which: Which, pick: (s: Sample) => number) =>
      copies.filter((c) => c.which === which).flatMap((c) => c.samples.map(pick));
    const meanOf = (which: Which, pick: (r: (typeof perCopy)[number]) => number) => {
      const xs = perCopy.filter((r) => r.which === which).map(pick);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    /** Largest − smallest of one figure among the copies of the same configuration. */
    const spread = (pick: (r: (typeof perCopy)[number]) => number) =>
      round2(
        Math.max(
          ...(['off', 'on'] as const).map((w) => {
            const xs = perCopy.filter((r) => r.which === w).map(pick);
            return Math.max(...xs) - Math.min(...xs);
          }),
        ),
      );
    const stats = (which: Which) => ({
      responseMs: latencyStats(pooled(which, (x) => x.ms)),
      overheadMs: latencyStats(pooled(which, (x) => x.overheadMs)),
    });
    const result = {
      at: new Date().toISOString(),
      requests: REQUESTS,
      copiesPerConfig: PAIRS,
      first: values.first,
      sampler: values.control ? 'control: both untraced' : values.sampler,
      samplerArg: values['sampler-arg'],
      load: loadAverage(),
      off: stats('off'),
      on: stats('on'),
      perCopy,
      /** CPU ms of each API process (worker inside) per request, mean per configuration. */
      cpuPerRequestMs: {
        off: round2(meanOf('off', (r) => r.cpuPerRequestMs)),
        on: round2(meanOf('on', (r) => r.cpuPerRequestMs)),
        added: round2(
          meanOf('on', (r) => r.cpuPerRequestMs) - meanOf('off', (r) => r.cpuPerRequestMs),
        ),
        /** The same figure between copies of ONE configuration: this run's own noise. */
        sameConfigSpread: spread((r) => r.cpuPerRequestMs),
      },
      addedP50Ms: {
        response: round2(stats('on').responseMs.p50 - stats('off').responseMs.p50),
        overhead: round2(stats('on').overheadMs.p50 - stats('off').overheadMs.p50),
        /** Median over rounds of the per-round difference (each round: one request per copy). */
        pairedResponse: pairedMedian(copies, (x) => x.ms),
        pairedOverhead: pairedMedian(copies, (x) => x.overheadMs),
        /** 95 % bootstrap interval of the response-time difference: this machine's noise. */
        responseCi95: p50DifferenceCi(
          pooled('on', (x) => x.ms),
          pooled('off', (x) => x.ms),
        ),
        /** p50 between copies of ONE configuration: this run's own noise. */
        sameConfigSpread: spread((r) => r.responseP50Ms),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    const dir = path.join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `tracing-${result.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path.relative(ROOT, file)}`);
  } finally {
    for (const c of copies) await c.stack.stop();
    await jaeger.stop();
    await mock.close();
    await temporal.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
