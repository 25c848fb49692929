/**
 * `npx tsx bench/fairness.ts [--quick] [--runs N] [--flood N]`: does one tenant's burst starve
 * another on shared workers? Tenant A submits a burst of async tasks (5,000 by default) on a slow
 * model (the mock upstream's `slow`, ~1 s); tenant B sends sync requests on a fast model, one a
 * second, while A's backlog waits. B's latency to its answer (a 200, or after a 202 the moment its
 * job completes) idle and under A's burst, p50 of each run, the median over runs, and the ratio
 * (target ≤ 2×). Two modes side by side, each on its own dev server: `fair` (Keel as shipped:
 * fairness key per tenant, `matching.enableFairness=true`) and `fifo` (the same with the server's
 * fairness off: the task queue is first come, first served).
 *
 * Each run uses a fresh worker, API and task queue; A's leftovers are abandoned, not drained. A B
 * request still unanswered after CAP_MS counts as CAP_MS (the ratio is then a lower bound, `≥`).
 * Writes bench/results/fairness-latest.json. See docs/fairness.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { startMockUpstream } from '../test/mock-upstream';
import { freePort } from '../test/support/free-port';
import { ROOT, startTs, stop, waitFor } from '../test/support/processes';
import { upstreamEnv } from '../test/support/upstream-env';
import { median, percentile, round2 } from './lib/stats';

const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const QUICK = process.argv.includes('--quick');
const RUNS = arg('--runs') ?? (QUICK ? 1 : 3);
const FLOOD = arg('--flood') ?? 5_000;
/** A's submissions in flight at once. */
const SUBMITTERS = 16;
/** B's probes: one a second, once A has submitted this many. */
const B_PROBES = QUICK ? 8 : 15;
const B_AFTER = Math.min(1_000, Math.floor(FLOOD / 2));
const B_IDLE = QUICK ? 8 : 15;
const CAP_MS = 60_000;

type Mode = 'fair' | 'fifo';

interface RunResult {
  idleP50: number;
  burstP50: number;
  burstP90: number;
  ratio: number;
  capped: number;
  /** B's answers that were 200 (not 202) under the burst. */
  sync200: number;
  backlogAtFirstProbe: number;
  backlogAtLastAnswer: number;
  submitPerSec: number;
  loadavg: number[];
}

interface Stack {
  base: string;
  key: string;
  taskQueue: string;
  stop(): Promise<void>;
}

async function startStack(temporal: DevServer, mockUrl: string): Promise<Stack> {
  const port = await freePort();
  const key = `bench_${randomUUID()}`;
  const taskQueue = `fairness-${randomUUID()}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-bench-fairness-'));
  const env: NodeJS.ProcessEnv = {
    ...upstreamEnv(mockUrl),
    TEMPORAL_ADDRESS: temporal.address,
    KEEL_TASK_QUEUE: taskQueue,
    KEEL_DEMO_TENANT: 'true',
    KEEL_DEMO_API_KEY: key,
    KEEL_INPUT_KEY_SECRET: `bench-input-key-${randomUUID()}`,
    KEEL_DATA_DIR: dataDir,
    KEEL_EMBEDDED_WORKER: 'false',
    // A's whole burst reaches Temporal: load shedding would refuse most of it at the door.
    KEEL_MAX_INFLIGHT_TASKS: '0',
    LOG_LEVEL: 'warn',
    PORT: String(port),
  };
  const worker = startTs('worker/main.ts', env);
  const server = startTs('server/main.ts', env);
  const base = `http://127.0.0.1:${port}`;
  await waitFor('stack ready', async () => (await fetch(`${base}/readyz`)).ok, {
    timeoutMs: 120_000,
    process: server,
  });
  return {
    base,
    key,
    taskQueue,
    stop: async () => {
      await stop(server);
      await stop(worker);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function request(
  stack: Stack,
  method: string,
  p: string,
  body: unknown,
  key = stack.key,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.base}${p}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

async function newTenant(stack: Stack, id: string): Promise<string> {
  const made = await request(stack, 'POST', '/v1/admin/tenants', { id, plan: 'unlimited' });
  if (made.status !== 201) throw new Error(`tenant ${id}: ${made.status}`);
  const key = await request(stack, 'POST', `/v1/admin/tenants/${id}/keys`, {
    name: 'svc',
    roles: ['caller'],
  });
  return key.body.key as string;
}

const classify = (stack: Stack, key: string, n: number, options: object) =>
  request(
    stack,
    'POST',
    '/v1/tasks/classify-ticket',
    { input: { subject: 'Refund', body: `charged twice, order ${n}` }, options },
    key,
  );

/** One B request: ms until its answer (200, or its job's completion after a 202), capped. */
async function probe(stack: Stack, key: string, n: number): Promise<{ ms: number; sync: boolean }> {
  const t0 = performance.now();
  const res = await classify(stack, key, n, { route: ['openai:ok'] });
  if (res.status === 200) return { ms: performance.now() - t0, sync: true };
  if (res.status !== 202) throw new Error(`B got ${res.status}: ${JSON.stringify(res.body)}`);
  const jobId = res.body.jobId as string;
  while (performance.now() - t0 < CAP_MS) {
    const job = await request(stack, 'GET', `/v1/jobs/${jobId}`, undefined, key);
    if (job.body.status === 'completed') return { ms: performance.now() - t0, sync: false };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ms: CAP_MS, sync: false };
}

async function oneRun(temporal: DevServer, mockUrl: string, client: Client): Promise<RunResult> {
  const stack = await startStack(temporal, mockUrl);
  try {
    const keyA = await newTenant(stack, 'tenant-a');
    const keyB = await newTenant(stack, 'tenant-b');
    const backlog = async (): Promise<number> =>
      (
        await client.workflow.count(
          `TaskQueue = '${stack.taskQueue}' AND KeelTenant = 'tenant-a' AND ExecutionStatus = 'Running'`,
        )
      ).count;
    // Warm-up, then B idle.
    for (let i = 0; i < 3; i++) await probe(stack, keyB, -1 - i);
    const idle: number[] = [];
    for (let i = 0; i < B_IDLE; i++) idle.push((await probe(stack, keyB, i)).ms);

    let submitted = 0;
    const t0 = performance.now();
    const flood = Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        while (submitted < FLOOD) {
          const n = submitted++;
          const res = await classify(stack, keyA, n, { route: ['openai:slow'], maxSyncMs: 0 });
          if (res.status !== 202) throw new Error(`A got ${res.status}`);
        }
      }),
    ).then(() => (FLOOD / (performance.now() - t0)) * 1_000);
    while (submitted < B_AFTER) await new Promise((r) => setTimeout(r, 50));
    const backlogAtFirstProbe = await backlog();
    const probes: Promise<{ ms: number; sync: boolean }>[] = [];
    for (let i = 0; i < B_PROBES; i++) {
      probes.push(probe(stack, keyB, 1_000 + i));
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const answers = await Promise.all(probes);
    const backlogAtLastAnswer = await backlog();
    const submitPerSec = await flood;
    const sortedIdle = [...idle].sort((a, b) => a - b);
    const burst = answers.map((a) => a.ms).sort((a, b) => a - b);
    const idleP50 = percentile(sortedIdle, 50);
    const burstP50 = percentile(burst, 50);
    return {
      idleP50: round2(idleP50),
      burstP50: round2(burstP50),
      burstP90: round2(percentile(burst, 90)),
      ratio: round2(burstP50 / idleP50),
      capped: burst.filter((ms) => ms >= CAP_MS).length,
      sync200: answers.filter((a) => a.sync).length,
      backlogAtFirstProbe,
      backlogAtLastAnswer,
      submitPerSec: round2(submitPerSec),
      loadavg: os.loadavg().map(round2),
    };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const cli = await findTemporalCli({
    dataDir: path.join(ROOT, '.keel'),
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    install: true,
  });
  const mock = await startMockUpstream({ port: 0, slow: { medianMs: 1_000, p99Ms: 1_300 } });
  const results: Record<Mode, RunResult[]> = { fair: [], fifo: [] };
  console.log(
    `fairness bench: A ${FLOOD} async tasks (~1 s model), B sync probes; ${RUNS} run(s) per mode; ` +
      `${os.cpus().length} cores, ${cli.version}`,
  );
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const mode of ['fair', 'fifo'] as const) {
        const temporal = await startDevServer({
          cliPath: cli.path,
          port: await freePort(),
          fairness: mode === 'fair',
        });
        const connection = await Connection.connect({ address: temporal.address });
        try {
          await ensureSearchAttributes(connection, 'default');
          const r = await oneRun(temporal, mock.url, new Client({ connection }));
          results[mode].push(r);
          console.log(`run ${run + 1} ${mode}: ${JSON.stringify(r)}`);
        } finally {
          await connection.close();
          await temporal.stop();
        }
      }
    }
  } finally {
    await mock.close();
  }
  const summary = Object.fromEntries(
    (['fair', 'fifo'] as const).map((mode) => {
      const rs = results[mode];
      const capped = rs.some((r) => r.capped > 0);
      const ratio = median(rs.map((r) => r.ratio));
      return [
        mode,
        {
          idleP50Ms: round2(median(rs.map((r) => r.idleP50))),
          burstP50Ms: round2(median(rs.map((r) => r.burstP50))),
          ratio: round2(ratio),
          ratioIsLowerBound: capped,
          sync200: `${median(rs.map((r) => r.sync200))}/${B_PROBES}`,
          backlogAtLastAnswer: median(rs.map((r) => r.backlogAtLastAnswer)),
          meetsTarget: !capped && ratio <= 2,
        },
      ];
    }),
  );
  console.log('\nmode  idle p50  burst p50  ratio   B 200s  A backlog when B done');
  for (const [mode, s] of Object.entries(summary)) {
    console.log(
      `${mode.padEnd(5)} ${String(s.idleP50Ms).padStart(7)}ms ${String(s.burstP50Ms).padStart(8)}ms ` +
        `${s.ratioIsLowerBound ? '≥' : ' '}${String(s.ratio).padStart(5)}×  ${s.sync200.padStart(6)}  ${s.backlogAtLastAnswer}`,
    );
  }
  console.log(`load average (1, 5, 15 min): ${os.loadavg().map(round2).join(', ')}`);
  const out = path.join(__dirname, 'results', 'fairness-latest.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        temporal: cli.version,
        cores: os.cpus().length,
        flood: FLOOD,
        runs: RUNS,
        summary,
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${path.relative(ROOT, out)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
