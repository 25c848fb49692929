/**
 * `npx tsx bench/single-flight.ts [--quick]`: model calls saved by `options.singleFlight` under a
 * bursty load, on two API processes sharing a redis-server (Debian's, started here) and one
 * worker, against the mock upstream's `slow` scenario (about 400 ms a call).
 *
 * The load: bursts of identical requests (one input per burst, spread over both APIs) mixed with
 * unique requests, the bursts overlapping in time. The same load runs without and with
 * single-flight; the upstream's attempt log counts the model calls. Reported per mode, as the
 * median over the runs: upstream calls, calls saved, and the p50 latency of leaders (callers that
 * started a job) and of joined callers. Writes bench/results/single-flight-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMockUpstream } from '../test/mock-upstream';
import { startRedis } from '../test/support/redis';
import { upstreamEnv } from '../test/support/upstream-env';
import { median, percentile, round2 } from './lib/stats';
import { startBenchStack, type BenchStack } from './stack';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 3 : 5;
const BURSTS = QUICK ? 4 : 6;
/** Identical requests per burst, and unique ones sent alongside. */
const BURST_SIZE = 8;
const UNIQUE_PER_BURST = 3;
/** Bursts start this far apart: each overlaps the previous one's calls. */
const BURST_GAP_MS = 300;

interface Sample {
  ms: number;
  status: number;
  role: 'leader' | 'joined' | 'alone';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function send(stack: BenchStack, base: string, input: unknown, shared: boolean) {
  const started = performance.now();
  const res = await fetch(`${base}/v1/tasks/classify-ticket`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      input,
      options: { route: ['openai:slow'], ...(shared ? { singleFlight: true } : {}) },
    }),
  });
  const text = await res.text();
  if (res.status !== 200) console.error(`${res.status}: ${text.slice(0, 300)}`);
  const header = res.headers.get('x-keel-single-flight');
  const role: Sample['role'] = header === 'joined' ? 'joined' : header ? 'leader' : 'alone';
  return { ms: performance.now() - started, status: res.status, role };
}

/** One run of the bursty load: every request's latency and role. */
async function runLoad(stack: BenchStack, shared: boolean, run: string): Promise<Sample[]> {
  const sent: Promise<Sample>[] = [];
  let n = 0;
  for (let b = 0; b < BURSTS; b++) {
    const burstInput = { subject: 'Refund', body: `charged twice, burst ${run}-${b}` };
    for (let i = 0; i < BURST_SIZE; i++)
      sent.push(send(stack, stack.bases[n++ % stack.bases.length]!, burstInput, shared));
    for (let i = 0; i < UNIQUE_PER_BURST; i++) {
      const unique = { subject: 'Login', body: `cannot log in, ${run}-${b}-${i}` };
      sent.push(send(stack, stack.bases[n++ % stack.bases.length]!, unique, shared));
    }
    await sleep(BURST_GAP_MS);
  }
  return Promise.all(sent);
}

async function main(): Promise<void> {
  const [redis, mock] = await Promise.all([
    startRedis(),
    startMockUpstream({ port: 0, slow: { medianMs: 400, p99Ms: 800 } }),
  ]);
  const stack = await startBenchStack({
    apis: 2,
    // Shedding off: both modes serve every request, so their call counts compare like for like.
    env: { ...upstreamEnv(mock.url), KEEL_REDIS_URL: redis.url, KEEL_MAX_INFLIGHT_TASKS: '0' },
  });
  const rows: Record<string, { calls: number[]; leaderP50: number[]; joinedP50: number[] }> = {
    without: { calls: [], leaderP50: [], joinedP50: [] },
    with: { calls: [], leaderP50: [], joinedP50: [] },
  };
  const requests = BURSTS * (BURST_SIZE + UNIQUE_PER_BURST);
  const loadBefore = os.loadavg();
  try {
    // Warm-up: both APIs, the worker, Redis and the SDK clients.
    await runLoad(stack, true, 'warm');
    for (let r = 0; r < RUNS; r++) {
      for (const mode of ['without', 'with'] as const) {
        mock.clearAttempts();
        const samples = await runLoad(stack, mode === 'with', `${mode}-${r}`);
        const failed = samples.filter((s) => s.status !== 200).length;
        if (failed) throw new Error(`${failed} of ${samples.length} requests failed (${mode})`);
        const p50 = (role: Sample['role']): number => {
          const ms = samples.filter((s) => s.role === role).map((s) => s.ms);
          return ms.length
            ? percentile(
                [...ms].sort((a, b) => a - b),
                50,
              )
            : Number.NaN;
        };
        const row = rows[mode]!;
        row.calls.push(mock.attempts().length);
        row.leaderP50.push(mode === 'with' ? p50('leader') : p50('alone'));
        row.joinedP50.push(p50('joined'));
        console.log(
          `run ${r + 1}/${RUNS} ${mode.padEnd(7)}: ${mock.attempts().length} upstream calls for ${requests} requests`,
        );
      }
    }
  } finally {
    await stack.stop();
    await Promise.all([mock.close(), redis.stop()]);
  }
  const without = median(rows.without!.calls);
  const withSf = median(rows.with!.calls);
  const result = {
    at: new Date().toISOString(),
    runs: RUNS,
    load: { requests, bursts: BURSTS, burstSize: BURST_SIZE, uniquePerBurst: UNIQUE_PER_BURST },
    upstreamCalls: { without, with: withSf },
    callsSaved: without - withSf,
    savedFraction: round2((without - withSf) / without),
    p50Ms: {
      without: round2(median(rows.without!.leaderP50)),
      leaders: round2(median(rows.with!.leaderP50)),
      joined: round2(median(rows.with!.joinedP50)),
    },
    loadAverage: { before: loadBefore.map(round2), after: os.loadavg().map(round2) },
    cpus: os.cpus().length,
  };
  console.log('\nsingle-flight under a bursty load (2 APIs + Redis, 1 worker), median of runs:');
  console.log(`  requests per run        ${requests}`);
  console.log(`  upstream calls without  ${without}`);
  console.log(`  upstream calls with     ${withSf}`);
  console.log(`  calls saved             ${result.callsSaved} (${result.savedFraction * 100} %)`);
  console.log(`  p50 without (all)       ${result.p50Ms.without} ms`);
  console.log(`  p50 leaders             ${result.p50Ms.leaders} ms`);
  console.log(`  p50 joined callers      ${result.p50Ms.joined} ms`);
  console.log(
    `  load average            ${result.loadAverage.before.join(' ')} → ${result.loadAverage.after.join(' ')} (${result.cpus} CPUs)`,
  );
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'single-flight-latest.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
