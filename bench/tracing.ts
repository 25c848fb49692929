/**
 * `npm run bench:tracing [-- --requests N] [--warmup N] [--sampler S] [--sampler-arg A]
 * [--control] [--profile DIR]`: what OpenTelemetry tracing adds to a sync `classify-ticket` answer
 * (docs/traces.md). Two copies of `npm start`'s deployment (one API process with its worker
 * inside) on one dev server, the same mock upstream (`openai:ok`, 0 ms): one with tracing off,
 * one with tracing on into a real Jaeger (test/support/jaeger.ts; `npm run jaeger:install` builds
 * it), with Keel's default sampler (`--sampler default`: no traceparent is sent, so nothing is
 * recorded) or the SDK's named one (`--sampler always_on`: every span exported); `--control` leaves both untraced (an A/A run: the
 * difference this machine's noise makes). Requests alternate between the two, one at a time, so
 * drift in the machine's load hits both alike. Prints p50/p90 of the response time and of
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
import { cpuMs } from './lib/proc-stats';
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
  },
  strict: true,
});
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);

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

async function main(): Promise<void> {
  const cli = await projectTemporalCli();
  const temporal = await startDevServer({ cliPath: cli.path, port: await freePort() });
  const mock = await startMockUpstream({ port: 0 });
  const jaeger = await startJaeger();
  const stacks: BenchStack[] = [];
  try {
    const common = { embeddedWorker: true, temporalAddress: temporal.address };
    const profileDir = (which: 'off' | 'on') =>
      values.profile ? { cpuProfileDir: path.join(values.profile, which) } : {};
    const off = await startBenchStack({
      ...common,
      ...profileDir('off'),
      env: upstreamEnv(mock.url),
    });
    stacks.push(off);
    const on = await startBenchStack({
      ...common,
      ...profileDir('on'),
      env: values.control
        ? upstreamEnv(mock.url)
        : {
            ...upstreamEnv(mock.url),
            OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
            OTEL_SERVICE_NAME: 'keel-bench',
            ...(values.sampler === 'default' ? {} : { OTEL_TRACES_SAMPLER: values.sampler }),
            ...(values['sampler-arg'] ? { OTEL_TRACES_SAMPLER_ARG: values['sampler-arg'] } : {}),
          },
    });
    stacks.push(on);
    for (let i = 0; i < WARMUP; i++) {
      await classify(off, i);
      await classify(on, i);
    }
    const samples = { off: [] as Sample[], on: [] as Sample[] };
    // The API process's CPU (its worker inside), user + system, over the measured requests: a
    // steadier figure than the response time on a shared machine (the Temporal server's and
    // Jaeger's are not in it).
    const cpuBefore = { off: cpuMs(off.pids().api), on: cpuMs(on.pids().api) };
    for (let i = 0; i < REQUESTS; i++) {
      // Alternate which goes first, so neither always follows the other.
      const order = i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const which of order)
        samples[which].push(await classify(which === 'on' ? on : off, WARMUP + i));
    }
    const cpuPerRequestMs = {
      off: round2((cpuMs(off.pids().api) - cpuBefore.off) / REQUESTS),
      on: round2((cpuMs(on.pids().api) - cpuBefore.on) / REQUESTS),
    };
    const stats = (s: Sample[]) => ({
      responseMs: latencyStats(s.map((x) => x.ms)),
      overheadMs: latencyStats(s.map((x) => x.overheadMs)),
    });
    const result = {
      at: new Date().toISOString(),
      requests: REQUESTS,
      sampler: values.control ? 'control: both untraced' : values.sampler,
      samplerArg: values['sampler-arg'],
      load: loadAverage(),
      off: stats(samples.off),
      on: stats(samples.on),
      /** CPU ms of each API process (worker inside) per request, and on − off. */
      cpuPerRequestMs: {
        ...cpuPerRequestMs,
        added: round2(cpuPerRequestMs.on - cpuPerRequestMs.off),
      },
      addedP50Ms: {
        response: round2(stats(samples.on).responseMs.p50 - stats(samples.off).responseMs.p50),
        overhead: round2(stats(samples.on).overheadMs.p50 - stats(samples.off).overheadMs.p50),
        /** 95 % bootstrap interval of the response-time difference: this machine's noise. */
        responseCi95: p50DifferenceCi(
          samples.on.map((x) => x.ms),
          samples.off.map((x) => x.ms),
        ),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    const dir = path.join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `tracing-${result.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path.relative(ROOT, file)}`);
  } finally {
    for (const stack of stacks) await stack.stop();
    await jaeger.stop();
    await mock.close();
    await temporal.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
