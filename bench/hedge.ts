/**
 * `npm run bench:hedge [-- --requests 40] [--scenarios ok,slow,flap,slow-ttft] [--out file.json]`:
 * what hedged calls cost and save. One stack (the default deployment: API with the worker in
 * process), one mock upstream; two tenants whose only difference is the policy: `demo` (hedging
 * off) and `hedged` (on for classify-ticket). Per upstream scenario, sequential classify-ticket
 * requests with route [openai:<scenario>, openai:ok], the two tenants interleaved one request
 * each, after a warm-up that gives openai:<scenario> its latency stats (a hedge needs a p95).
 * Reports p50/p99 of the caller's latency, the upstream calls per request (the mock's attempt
 * log) and the share of requests hedged, on against off as ratios. The figures behind
 * docs/hedging.md.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { freePort } from '../test/support/free-port';
import { startTs, stop, waitFor } from '../test/support/processes';
import { MOCK_UPSTREAM_CONFIG, upstreamEnv } from '../test/support/upstream-env';
import { latencyStats, loadAverage, round2 } from './lib/stats';
import { ratioOf } from './lib/ratios';
import { TICKETS } from './lib/systems';
import { startBenchStack } from './stack';

const { values: flags } = parseArgs({
  options: {
    /** Measured requests per scenario and tenant. */
    requests: { type: 'string', default: '100' },
    scenarios: { type: 'string', default: 'ok,slow,flap,slow-ttft' },
    /** The upstream's base latency (ms), added to every scenario's own. */
    'upstream-ms': { type: 'string', default: '50' },
    out: { type: 'string' },
    /** Print the workflow history (event types, ms from start) of any request slower than this. */
    'explain-over-ms': { type: 'string' },
  },
  strict: true,
});
const REQUESTS = Number(flags.requests);
const SCENARIOS = flags.scenarios.split(',').map((s) => s.trim());
/** Past minRequests (5) successful calls in the breaker's window: the hedge delay exists. */
const WARM_UP = 6;

interface Sample {
  ms: number;
  ok: boolean;
  calls: number;
  hedged: boolean;
}

interface Side {
  n: number;
  valid: number;
  p50: number;
  p99: number;
  callsPerRequest: number;
  hedgedShare: number;
}

function side(samples: Sample[]): Side {
  const stats = latencyStats(samples.map((s) => s.ms));
  return {
    n: samples.length,
    valid: samples.filter((s) => s.ok).length,
    p50: stats.p50,
    p99: stats.p99,
    callsPerRequest: round2(samples.reduce((n, s) => n + s.calls, 0) / samples.length),
    hedgedShare: round2(samples.filter((s) => s.hedged).length / samples.length),
  };
}

/** A slow request's story: each history event, ms after the run started. */
async function explain(address: string, jobId: string, title: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const history = await new Client({ connection }).workflow.getHandle(jobId).fetchHistory();
    const at = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
      Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
    const t0 = at(history.events?.[0]?.eventTime);
    console.log(`slow request: ${title} (${jobId})`);
    for (const e of history.events ?? []) {
      const type = (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? '?').replace(
        'EVENT_TYPE_',
        '',
      );
      const failed = e.workflowTaskFailedEventAttributes;
      const why = failed ? ` ${String(failed.cause)} ${failed.failure?.message ?? ''}` : '';
      console.log(`  ${Math.round(at(e.eventTime) - t0)} ms ${type}${why}`);
    }
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const port = await freePort();
  const upstream = startTs('test/mock-upstream/main.ts', {}, [
    `--port=${port}`,
    '--seed=1',
    `--latency-ms=${flags['upstream-ms']}`,
    // A shorter `slow` than the default (1.5 s / 4 s) keeps the run within a few minutes; its
    // tail is heavier (p99 10× the median, not 2.7×), as real providers' tails are.
    '--slow-median-ms=300',
    '--slow-p99-ms=3000',
    '--ttft-ms=300',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('mock upstream', async () => (await fetch(`${url}/_mock/scenarios`)).ok, {
    timeoutMs: 60_000,
    process: upstream,
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-bench-hedge-'));
  const hedgedKey = `hedged_${randomUUID()}`;
  const configFile = path.join(dir, 'keel.json');
  const mockConfig = JSON.parse(readFileSync(MOCK_UPSTREAM_CONFIG, 'utf8')) as object;
  writeFileSync(
    configFile,
    JSON.stringify({
      ...mockConfig,
      tenants: [
        {
          id: 'hedged',
          keys: [
            {
              name: 'bench',
              sha256: createHash('sha256').update(hedgedKey).digest('hex'),
              roles: ['caller'],
            },
          ],
        },
      ],
      // The mock's models cost $8 per M output tokens: expensive, so the policy must say so.
      policies: {
        tenants: {
          hedged: {
            tasks: { 'classify-ticket': { hedge: { enabled: true, expensiveModels: true } } },
          },
        },
      },
    }),
  );
  const stack = await startBenchStack({
    env: upstreamEnv(url, configFile),
    embeddedWorker: true,
  });
  const keys = { off: stack.apiKey, on: hedgedKey };
  const send = async (key: string, scenario: string, i: number): Promise<Sample> => {
    await fetch(`${url}/_mock/attempts`, { method: 'DELETE' });
    const started = performance.now();
    const res = await fetch(`${stack.base}/v1/tasks/classify-ticket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        input: TICKETS[i % TICKETS.length],
        options: { route: [`openai:${scenario}`, 'openai:ok'] },
      }),
    });
    const body = (await res.json()) as { jobId?: string; meta?: { reasons?: string[] } };
    const ms = performance.now() - started;
    if (flags['explain-over-ms'] && ms > Number(flags['explain-over-ms']) && body.jobId) {
      await explain(stack.temporalAddress, body.jobId, `${scenario} ${Math.round(ms)} ms`);
    }
    const log = (await (await fetch(`${url}/_mock/attempts`)).json()) as { attempts: unknown[] };
    return {
      ms,
      ok: res.status === 200,
      calls: log.attempts.length,
      hedged: (body.meta?.reasons ?? []).some((r) => r.startsWith('hedged')),
    };
  };
  const rows: Array<{
    scenario: string;
    off: Side;
    on: Side;
    ratios: Record<'p50' | 'p99' | 'callsPerRequest', number | null>;
  }> = [];
  const load = (): string => loadAverage(1);
  const loadBefore = load();
  try {
    for (let i = 0; i < 4; i++) await send(keys.off, 'ok', i); // the stack's own warm-up
    for (const scenario of SCENARIOS) {
      for (let i = 0; i < WARM_UP; i++) await send(keys.off, scenario, i);
      // The worker reuses a health read for 1 s; reports go out every 250 ms.
      await new Promise((r) => setTimeout(r, 1_500));
      const samples = { off: [] as Sample[], on: [] as Sample[] };
      for (let i = 0; i < REQUESTS; i++) {
        // Interleaved, the order alternating: drift and the flap phase hit both alike.
        const order = i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
        for (const which of order) samples[which].push(await send(keys[which], scenario, i));
      }
      const off = side(samples.off);
      const on = side(samples.on);
      const row = {
        scenario,
        off,
        on,
        ratios: {
          p50: ratioOf(on.p50, off.p50),
          p99: ratioOf(on.p99, off.p99),
          callsPerRequest: ratioOf(on.callsPerRequest, off.callsPerRequest),
        },
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    await stack.stop();
    await stop(upstream);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\nload average before ${loadBefore}, after ${load()} (2 cores, shared); ${REQUESTS} requests per scenario and side`,
  );
  console.log(
    'scenario     · p50 off → on (×) · p99 off → on (×) · calls/request off → on (×) · hedged · valid',
  );
  for (const r of rows) {
    console.log(
      `${r.scenario.padEnd(12)} · ${Math.round(r.off.p50)} → ${Math.round(r.on.p50)} ms (${r.ratios.p50 ?? '–'}×)` +
        ` · ${Math.round(r.off.p99)} → ${Math.round(r.on.p99)} ms (${r.ratios.p99 ?? '–'}×)` +
        ` · ${r.off.callsPerRequest} → ${r.on.callsPerRequest} (${r.ratios.callsPerRequest ?? '–'}×)` +
        ` · ${Math.round(r.on.hedgedShare * 100)} %` +
        ` · ${r.off.valid}/${r.off.n}, ${r.on.valid}/${r.on.n}`,
    );
  }
  if (flags.out) writeFileSync(flags.out, JSON.stringify({ loadBefore, rows }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
