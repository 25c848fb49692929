/**
 * `npx tsx bench/fairness.ts [--quick] [--runs N] [--flood N] [--mode fair|fifo] [--admissions N]`: does one
 * tenant's burst starve another on shared workers? Tenant A submits a burst of async tasks (5,000
 * by default) on a slow model (the mock upstream's `slow`, ~1 s); tenant B sends sync requests on
 * a fast model, one a second, in two phases: while A is still submitting, and once A's burst is
 * submitted and its backlog waits for the workers. B's latency to its answer (a 200, or after a
 * 202 the moment its job completes), p50 of each run, the median over runs, and the ratio to B's
 * idle p50 (target ≤ 2×); where B's time went, from its jobs' histories (task-queue wait, the
 * worker's run, the API's rest). Two modes side by side, each on its own dev server: `fair` (Keel
 * as shipped: fairness key per tenant, `matching.enableFairness=true`) and `fifo` (the same with
 * the server's fairness off: the task queue is first come, first served).
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
import { projectTemporalCli } from '../test/support/project-temporal-cli';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { startUpstream } from './lib/upstream';
import { freePort } from '../test/support/free-port';
import { ROOT, startTs, stop, waitFor } from '../test/support/processes';
import { upstreamEnv } from '../test/support/upstream-env';
import { historyBreakdown, type HistoryBreakdown } from './lib/history-breakdown';
import { median, percentile, round2 } from './lib/stats';
import { keelQueuesFilter } from '../shared/platform/task-queues';

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
/** `--admissions N`: KEEL_TENANT_ADMISSIONS for the API (unset: Keel's default). */
const ADMISSIONS = arg('--admissions');
/**
 * `--split-nice N`: two worker processes instead of one, the interactive queue's and the background
 * queue's, the second under `nice -n N` (docs/fairness.md, "Background workers yield the CPU").
 */
const SPLIT_NICE = arg('--split-nice');

type Mode = 'fair' | 'fifo';
/** `--mode fair` or `--mode fifo` runs one mode only. */
const MODES: readonly Mode[] = process.argv.includes('--mode')
  ? [process.argv[process.argv.indexOf('--mode') + 1] as Mode]
  : ['fair', 'fifo'];

/** B's probes in one phase of A's burst. */
interface Phase {
  p50: number;
  p90: number;
  /** p50 ÷ B's idle p50 (target ≤ 2). */
  ratio: number;
  /** Probes still unanswered after CAP_MS (counted as CAP_MS). */
  capped: number;
  /** B's answers that were 200 (not 202). */
  sync200: number;
  /** A's tasks running or waiting when the phase's first probe went out, and after its last. */
  backlogBefore: number;
  backlogAfter: number;
  /** Medians over B's jobs of where their time went (ms). */
  where?: Where;
}

interface RunResult {
  idleP50: number;
  idleWhere?: Where;
  /** While A is still submitting its burst (the API, the server and the worker all busy with it). */
  submitting: Phase;
  /** Once A's burst is submitted and its backlog waits for the workers. */
  backlog: Phase;
  submitPerSec: number;
  loadavg: number[];
}

/** B's latency split: the workflow's queue and run spans, and the rest (the API's). */
type Where = HistoryBreakdown & { apiMs: number };

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
    ...(ADMISSIONS !== undefined ? { KEEL_TENANT_ADMISSIONS: String(ADMISSIONS) } : {}),
    LOG_LEVEL: 'warn',
    PORT: String(port),
  };
  const workers =
    SPLIT_NICE === undefined
      ? [startTs('worker/main.ts', env)]
      : [
          startTs('worker/main.ts', { ...env, KEEL_WORKER_QUEUES: 'interactive' }),
          startTs('worker/main.ts', { ...env, KEEL_WORKER_QUEUES: 'background' }, [], [], {
            nice: SPLIT_NICE,
          }),
        ];
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
      for (const worker of workers) await stop(worker);
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

interface Probe {
  ms: number;
  sync: boolean;
  jobId: string;
}

/** One B request: ms until its answer (200, or its job's completion after a 202), capped. */
async function probe(stack: Stack, key: string, n: number): Promise<Probe> {
  const t0 = performance.now();
  const res = await classify(stack, key, n, { route: ['openai:ok'] });
  const jobId = res.body.jobId as string;
  if (res.status === 200) return { ms: performance.now() - t0, sync: true, jobId };
  if (res.status !== 202) throw new Error(`B got ${res.status}: ${JSON.stringify(res.body)}`);
  while (performance.now() - t0 < CAP_MS) {
    const job = await request(stack, 'GET', `/v1/jobs/${jobId}`, undefined, key);
    if (job.body.status === 'completed') return { ms: performance.now() - t0, sync: false, jobId };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ms: CAP_MS, sync: false, jobId };
}

/** The medians of where B's probes spent their time, from their histories. */
async function whereTimeWent(client: Client, probes: readonly Probe[]): Promise<Where | undefined> {
  if (probes.length === 0) return undefined;
  const rows = await Promise.all(
    probes.map(async (p) => {
      const history = await client.workflow.getHandle(p.jobId).fetchHistory();
      const b = historyBreakdown(history.events ?? []);
      return { ...b, apiMs: p.ms - b.totalMs };
    }),
  );
  const keys = Object.keys(rows[0]!) as (keyof Where)[];
  return Object.fromEntries(
    keys.map((k) => [k, round2(median(rows.map((r) => r[k])))]),
  ) as unknown as Where;
}

async function oneRun(temporal: DevServer, mockUrl: string, client: Client): Promise<RunResult> {
  const stack = await startStack(temporal, mockUrl);
  try {
    const keyA = await newTenant(stack, 'tenant-a');
    const keyB = await newTenant(stack, 'tenant-b');
    const backlog = async (): Promise<number> =>
      (
        await client.workflow.count(
          `${keelQueuesFilter(stack.taskQueue)} AND KeelTenant = 'tenant-a' AND ExecutionStatus = 'Running'`,
        )
      ).count;
    // Warm-up, then B idle.
    for (let i = 0; i < 3; i++) await probe(stack, keyB, -1 - i);
    const idleProbes: Probe[] = [];
    for (let i = 0; i < B_IDLE; i++) idleProbes.push(await probe(stack, keyB, i));

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
    const idleP50 = percentile(
      [...idleProbes.map((p) => p.ms)].sort((a, b) => a - b),
      50,
    );
    const phase = async (first: number): Promise<Phase> => {
      const backlogBefore = await backlog();
      const probes: Promise<Probe>[] = [];
      for (let i = 0; i < B_PROBES; i++) {
        probes.push(probe(stack, keyB, first + i));
        await new Promise((r) => setTimeout(r, 1_000));
      }
      const answers = await Promise.all(probes);
      const backlogAfter = await backlog();
      const sorted = answers.map((a) => a.ms).sort((a, b) => a - b);
      const where = await whereTimeWent(
        client,
        answers.filter((a) => a.ms < CAP_MS),
      );
      return {
        p50: round2(percentile(sorted, 50)),
        p90: round2(percentile(sorted, 90)),
        ratio: round2(percentile(sorted, 50) / idleP50),
        capped: sorted.filter((ms) => ms >= CAP_MS).length,
        sync200: answers.filter((a) => a.sync).length,
        backlogBefore,
        backlogAfter,
        ...(where ? { where } : {}),
      };
    };
    const submitting = await phase(1_000);
    const submitPerSec = await flood;
    const backlogPhase = await phase(2_000);
    const idleWhere = await whereTimeWent(client, idleProbes);
    return {
      idleP50: round2(idleP50),
      ...(idleWhere ? { idleWhere } : {}),
      submitting,
      backlog: backlogPhase,
      submitPerSec: round2(submitPerSec),
      loadavg: os.loadavg().map(round2),
    };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const cli = await projectTemporalCli();
  // The mock upstream in its own process: B's model call must not wait behind A's load generator
  // on this process's event loop (a real provider is not the caller's machine).
  const mock = await startUpstream(1, {
    slowMedianMs: 1_000,
    slowP99Ms: 1_300,
    ttftMs: 1_000,
    flapPeriodMs: 2_000,
  });
  const results: Record<Mode, RunResult[]> = { fair: [], fifo: [] };
  console.log(
    `fairness bench: A ${FLOOD} async tasks (~1 s model), B sync probes; ${RUNS} run(s) per mode; ` +
      `${os.cpus().length} cores, ${cli.version}`,
  );
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const mode of MODES) {
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
    await stop(mock.proc);
  }
  const phaseSummary = (rs: RunResult[], pick: (r: RunResult) => Phase) => {
    const phases = rs.map(pick);
    const capped = phases.some((p) => p.capped > 0);
    const ratio = round2(median(phases.map((p) => p.ratio)));
    return {
      p50Ms: round2(median(phases.map((p) => p.p50))),
      ratio,
      ratioIsLowerBound: capped,
      sync200: `${median(phases.map((p) => p.sync200))}/${B_PROBES}`,
      backlogAfter: median(phases.map((p) => p.backlogAfter)),
      meetsTarget: !capped && ratio <= 2,
    };
  };
  const summary = Object.fromEntries(
    MODES.map((mode) => {
      const rs = results[mode];
      return [
        mode,
        {
          idleP50Ms: round2(median(rs.map((r) => r.idleP50))),
          submitting: phaseSummary(rs, (r) => r.submitting),
          backlog: phaseSummary(rs, (r) => r.backlog),
        },
      ];
    }),
  );
  console.log('\nmode  phase       idle p50  B p50     ratio   B 200s  A backlog after');
  for (const [mode, s] of Object.entries(summary)) {
    for (const name of ['submitting', 'backlog'] as const) {
      const ph = s[name];
      console.log(
        `${mode.padEnd(5)} ${name.padEnd(10)} ${String(s.idleP50Ms).padStart(7)}ms ` +
          `${String(ph.p50Ms).padStart(8)}ms ${ph.ratioIsLowerBound ? '≥' : ' '}` +
          `${String(ph.ratio).padStart(5)}×  ${ph.sync200.padStart(6)}  ${ph.backlogAfter}`,
      );
    }
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
        ...(ADMISSIONS !== undefined ? { tenantAdmissions: ADMISSIONS } : {}),
        ...(SPLIT_NICE !== undefined ? { backgroundWorkerNice: SPLIT_NICE } : {}),
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
