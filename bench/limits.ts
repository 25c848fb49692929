/**
 * `npx tsx bench/limits.ts [--quick]`: what the exact limits (shared/tenancy/limits) cost and how
 * exact they are. Starts its own redis-server (Debian's, on a free port, no persistence).
 *
 * 1. Latency: admit, settle and release one at a time (and admit with 16 in flight), memory vs
 *    Redis; p50/p99 per run, the median of the runs.
 * 2. Accuracy under contention: two replicas, this process and a child process, hammer one
 *    tenant (8 callers each) for a few windows of 1 s; admitted per sliding window and per second
 *    vs the limit, for requests and for tokens. Memory mode in two processes is run too: each has
 *    its own counts (what docs/limits.md warns about).
 * Writes bench/results/limits-latest.json. See docs/limits.md.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLimiter, type LimitSpec, type Limiter } from '../shared/tenancy/limits';
import { startRedis } from '../test/support/redis';
import { loadAverage, median, p50p99, round2 } from './lib/stats';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 3 : 5;
const OPS = QUICK ? 1_000 : 3_000;
const WARMUP = 300;

interface HammerConfig {
  store: 'memory' | 'redis';
  redisUrl?: string;
  prefix: string;
  windowMs: number;
  tenantId: string;
  spec: LimitSpec;
  tokens: [number, number];
  startAt: number;
  durationMs: number;
  callers: number;
}

interface Admitted {
  at: number;
  tokens: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One replica's callers: admit as fast as refusals allow until the end (leases never released). */
async function hammer(cfg: HammerConfig): Promise<Admitted[]> {
  const limiter = createLimiter({
    ...(cfg.store === 'redis' ? { redisUrl: cfg.redisUrl } : {}),
    prefix: cfg.prefix,
    windowMs: cfg.windowMs,
  });
  const scopes = [{ kind: 'tenant' as const, id: cfg.tenantId, spec: cfg.spec }];
  const admitted: Admitted[] = [];
  await sleep(Math.max(0, cfg.startAt - Date.now()));
  const end = cfg.startAt + cfg.durationMs;
  await Promise.all(
    Array.from({ length: cfg.callers }, async () => {
      while (Date.now() < end) {
        const [lo, hi] = cfg.tokens;
        const tokens = lo + Math.floor(Math.random() * (hi - lo + 1));
        const v = await limiter.admit({ scopes, tokens, leaseId: randomUUID(), leaseMs: 1_000 });
        if (v.ok) admitted.push({ at: v.at, tokens });
        else await sleep(2);
      }
    }),
  );
  await limiter.close();
  return admitted;
}

async function replicaMain(): Promise<void> {
  const cfg = JSON.parse(process.argv[3]!) as HammerConfig;
  process.stdout.write(JSON.stringify(await hammer(cfg)));
}

function childHammer(cfg: HammerConfig): Promise<Admitted[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', __filename, '--replica', JSON.stringify(cfg)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as Admitted[])
        : reject(new Error(`replica exited ${code}`)),
    );
  });
}

/** Latency of each operation, one at a time; then admit with 16 in flight. */
async function latencyRun(limiter: Limiter): Promise<Record<string, number[]>> {
  const scopes = [
    { kind: 'tenant' as const, id: randomUUID(), spec: big() },
    { kind: 'key' as const, id: randomUUID(), spec: big() },
  ];
  const samples: Record<string, number[]> = { admit: [], settle: [], release: [], admit16: [] };
  const time = async (name: string, op: () => Promise<unknown>): Promise<void> => {
    const t = performance.now();
    await op();
    samples[name]!.push(performance.now() - t);
  };
  for (let i = 0; i < WARMUP + OPS; i++) {
    const leaseId = randomUUID();
    const keep = i >= WARMUP;
    const t0 = performance.now();
    const v = await limiter.admit({ scopes, tokens: 1_500, leaseId, leaseMs: 60_000 });
    if (!v.ok) throw new Error('bench limits must admit everything');
    if (keep) samples.admit!.push(performance.now() - t0);
    if (keep) await time('settle', () => limiter.settle(leaseId, 900));
    else await limiter.settle(leaseId, 900);
    if (keep) await time('release', () => limiter.release(leaseId));
    else await limiter.release(leaseId);
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < OPS) {
        await time('admit16', () =>
          limiter.admit({ scopes, tokens: 1_500, leaseId: randomUUID(), leaseMs: 60_000 }),
        );
      }
    }),
  );
  return samples;
}

const big = (): LimitSpec => ({
  requestsPerMinute: 1_000_000,
  tokensPerMinute: 1_000_000_000_000,
  concurrentTasks: 1_000_000,
});

/** The most admitted (count or tokens) in any window (t − W, t], and per calendar second. */
function accuracy(admitted: Admitted[], windowMs: number, weigh: (a: Admitted) => number) {
  const sorted = [...admitted].sort((a, b) => a.at - b.at);
  let busiest = 0;
  let lo = 0;
  let sum = 0;
  for (const a of sorted) {
    sum += weigh(a);
    while (sorted[lo]!.at <= a.at - windowMs) sum -= weigh(sorted[lo++]!);
    busiest = Math.max(busiest, sum);
  }
  const perSecond = new Map<number, number>();
  for (const a of sorted) {
    const s = Math.floor(a.at / 1_000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + weigh(a));
  }
  const seconds = [...perSecond.values()];
  return {
    total: sorted.reduce((n, a) => n + weigh(a), 0),
    busiestWindow: busiest,
    perSecondMin: Math.min(...seconds),
    perSecondMax: Math.max(...seconds),
  };
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const load = (): string => loadAverage();
  console.log(`node ${process.version}, ${os.cpus().length} cores, load ${load()}`);
  try {
    // 1. Latency.
    const latency: Record<string, Record<string, { p50: number; p99: number }>> = {};
    for (const store of ['memory', 'redis'] as const) {
      const runs: Record<string, { p50: number; p99: number }[]> = {};
      for (let r = 0; r < RUNS; r++) {
        const limiter = createLimiter(store === 'redis' ? { redisUrl: redis.url } : {});
        const samples = await latencyRun(limiter);
        await limiter.close();
        for (const [op, s] of Object.entries(samples)) (runs[op] ??= []).push(p50p99(s));
      }
      latency[store] = Object.fromEntries(
        Object.entries(runs).map(([op, qs]) => [
          op,
          {
            p50: Math.round(median(qs.map((q) => q.p50)) * 1_000) / 1_000,
            p99: Math.round(median(qs.map((q) => q.p99)) * 1_000) / 1_000,
          },
        ]),
      );
    }
    console.log(`\nlatency, ms (median of ${RUNS} runs of ${OPS}; admit16 = 16 in flight)`);
    console.log('op        memory p50/p99     redis p50/p99');
    for (const op of ['admit', 'settle', 'release', 'admit16']) {
      const m = latency.memory![op]!;
      const r = latency.redis![op]!;
      console.log(
        `${op.padEnd(9)} ${`${m.p50.toFixed(3)} / ${m.p99.toFixed(3)}`.padEnd(18)} ${r.p50.toFixed(3)} / ${r.p99.toFixed(3)}`,
      );
    }
    console.log(`load ${load()}`);

    // 2. Accuracy under contention, two processes.
    const windowMs = 1_000;
    const durationMs = QUICK ? 4_000 : 10_000;
    const cases: {
      name: string;
      store: HammerConfig['store'];
      spec: LimitSpec;
      tokens: [number, number];
    }[] = [
      { name: 'redis requests', store: 'redis', spec: { requestsPerMinute: 50 }, tokens: [0, 0] },
      {
        name: 'redis tokens',
        store: 'redis',
        spec: { tokensPerMinute: 20_000 },
        tokens: [200, 2_000],
      },
      {
        name: 'memory requests',
        store: 'memory',
        spec: { requestsPerMinute: 50 },
        tokens: [0, 0],
      },
    ];
    const contention: Record<string, unknown> = {};
    console.log(`\naccuracy: 2 processes × 8 callers, window ${windowMs} ms, ${durationMs} ms`);
    for (const c of cases) {
      const cfg: HammerConfig = {
        store: c.store,
        redisUrl: redis.url,
        prefix: `bench-${randomUUID()}`,
        windowMs,
        tenantId: randomUUID(),
        spec: c.spec,
        tokens: c.tokens,
        startAt: Date.now() + 2_000,
        durationMs,
        callers: 8,
      };
      const [mine, theirs] = await Promise.all([hammer(cfg), childHammer(cfg)]);
      const limit = c.spec.requestsPerMinute ?? c.spec.tokensPerMinute!;
      const weigh = c.spec.requestsPerMinute ? () => 1 : (a: Admitted) => a.tokens;
      const acc = accuracy([...mine, ...theirs], windowMs, weigh);
      contention[c.name] = { limit, ...acc, replicaA: mine.length, replicaB: theirs.length };
      console.log(
        `${c.name.padEnd(16)} limit ${limit}/window: busiest window ${acc.busiestWindow}, per second ${acc.perSecondMin}–${acc.perSecondMax}, total ${acc.total} (admissions ${mine.length} + ${theirs.length})`,
      );
    }
    console.log(`load ${load()}`);

    const out = path.join(__dirname, 'results', 'limits-latest.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          machine: {
            node: process.version,
            cores: os.cpus().length,
            loadavg: os.loadavg().map(round2),
          },
          runs: RUNS,
          ops: OPS,
          latencyMs: latency,
          contention,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  } finally {
    await redis.stop();
  }
}

(process.argv[2] === '--replica' ? replicaMain() : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
