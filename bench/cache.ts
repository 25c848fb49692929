/**
 * `npx tsx bench/cache.ts [--quick]`: what a result cache hit (`options.cacheTtlMs`) costs inside
 * Keel, in process memory vs in Redis (KEEL_REDIS_URL). Starts its own redis-server (Debian's, on
 * a free port, no persistence) on loopback.
 *
 * Measured per operation, as `JobsService` runs it: `hit` = the request's key (SHA-256 of the
 * canonical request) + the lookup + the cached answer built; `hit16` = the same with 16 in flight;
 * `store` = keeping an answer after a job (the miss path's extra). For reference, `sync` is the
 * memory path as it was before the shared cache (key + `ResultCache.get`, no await). p50/p99 per
 * run, the median of the runs. Writes bench/results/cache-latest.json. See docs/cache.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ResultMeta, RunTaskRequest, RunTaskResult } from '../shared/contracts/job';
import type { KeelConfig } from '../shared/platform/config';
import type { Logger } from '../shared/platform/logger';
import { findTask } from '../shared/tasks';
import { ResultCache } from '../server/result-cache';
import { TaskCache } from '../server/task-cache';
import { startRedis } from '../test/support/redis';
import { loadAverage, median, p50p99 } from './lib/stats';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 3 : 5;
const OPS = QUICK ? 1_000 : 5_000;
const WARMUP = 500;

const task = findTask('classify-ticket')!;
/** Redis errors are misses; the bench says so instead of measuring them as hits. */
const logger = {
  warn: (obj: unknown, msg: string) => console.error(msg, JSON.stringify(obj)),
} as unknown as Logger;

/** A support ticket of a realistic size (~600 characters). */
const request = (tenantId: string): RunTaskRequest => ({
  task: task.name,
  tenantId,
  requestId: randomUUID(),
  input: {
    subject: 'Charged twice for my subscription',
    body:
      'Hello, I was charged twice for my annual subscription this month (order 4471-2213). ' +
      'The second charge appeared two days after the first one and my bank says both went ' +
      'through. I have not changed my plan and I only have one account. Could you refund the ' +
      'duplicate charge and confirm that my renewal date did not move? I attached the bank ' +
      'statement lines in my previous message. Thanks for looking into it quickly, this is ' +
      'money I need for rent this week.',
  },
  options: { route: ['openai:gpt-4o-mini'], cacheTtlMs: 600_000 },
});

/** What classify-ticket's job returns: output plus the full meta (about 1 KB of JSON). */
const result: RunTaskResult = {
  output: {
    category: 'BILLING',
    confidence: 0.93,
    rationale: 'The customer reports a duplicate charge and asks for a refund of it.',
  },
  meta: {
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptVersion: task.prompt.version,
    attempts: 1,
    path: 'primary',
    reasons: [],
    validation: { schema: 'passed', grounding: 'passed', rejected: [] },
    moderation: {
      input: {
        pii: { found: [], action: 'none' },
        injection: { score: 0.01, action: 'none' },
        toxicity: { score: 0, action: 'none' },
      },
      output: {
        pii: { found: [], action: 'none' },
        toxicity: { score: 0, action: 'none' },
        restored: 0,
      },
    },
    latencyMs: 412,
    providerMs: 380,
    tokens: { input: 212, output: 41, cachedInput: 0, estimatedInput: 230 },
    costUsd: 0.000752,
  } as unknown as ResultMeta,
};

type Samples = Record<string, number[]>;

async function timeEach(n: number, op: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op();
    out.push(performance.now() - t);
  }
  return out;
}

async function inFlight(n: number, width: number, op: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (left-- > 0) {
        const t = performance.now();
        await op();
        out.push(performance.now() - t);
      }
    }),
  );
  return out;
}

async function run(redisUrl: string | undefined): Promise<{ samples: Samples; misses: number }> {
  const config = { cacheMaxEntries: 10_000, ...(redisUrl ? { redisUrl } : {}) } as KeelConfig;
  const cache = new TaskCache(config, logger);
  await cache.onModuleInit();
  try {
    const req = request(`bench-${randomUUID()}`);
    await cache.store(cache.slotFor(task, req)!, 'job-1', result);
    // A lookup Redis does not answer within the command timeout is a miss: counted, not hidden.
    let misses = 0;
    const hit = async (): Promise<void> => {
      if (!(await cache.lookup(cache.slotFor(task, req)!))) misses++;
    };
    await timeEach(WARMUP, hit);
    misses = 0;
    const samples: Samples = {
      hit: await timeEach(OPS, hit),
      hit16: await inFlight(OPS, 16, hit),
      store: await timeEach(OPS, () =>
        cache.store(cache.slotFor(task, request(req.tenantId))!, `job-${randomUUID()}`, result),
      ),
    };
    if (!redisUrl) {
      // The path before the shared cache: synchronous, no await.
      const memory = new ResultCache(10_000);
      const slot = cache.slotFor(task, req)!;
      memory.set(slot.key, { jobId: 'job-1', ...result });
      samples.sync = await timeEach(OPS, () => {
        const s = cache.slotFor(task, req)!;
        if (!memory.get(s.key, s.ttlMs)) throw new Error('expected a hit');
      });
    }
    return { samples, misses };
  } finally {
    await cache.onModuleDestroy();
  }
}

const r3 = (n: number): number => Math.round(n * 1_000) / 1_000;

async function main(): Promise<void> {
  const redis = await startRedis();
  const load = (): string => loadAverage();
  console.log(`node ${process.version}, ${os.cpus().length} cores, load ${load()}`);
  try {
    const latency: Record<string, Record<string, { p50: number; p99: number }>> = {};
    const misses: Record<string, number> = { memory: 0, redis: 0 };
    for (const backend of ['memory', 'redis'] as const) {
      const runs: Record<string, { p50: number; p99: number }[]> = {};
      for (let r = 0; r < RUNS; r++) {
        const { samples, misses: missed } = await run(backend === 'redis' ? redis.url : undefined);
        misses[backend]! += missed;
        for (const [op, s] of Object.entries(samples)) (runs[op] ??= []).push(p50p99(s));
      }
      latency[backend] = Object.fromEntries(
        Object.entries(runs).map(([op, qs]) => [
          op,
          { p50: r3(median(qs.map((q) => q.p50))), p99: r3(median(qs.map((q) => q.p99))) },
        ]),
      );
    }
    const loadAfter = os.loadavg();
    console.log(`\nlatency, ms (median of ${RUNS} runs of ${OPS}; hit16 = 16 in flight)`);
    console.log('op      memory p50/p99     redis p50/p99');
    for (const op of ['hit', 'hit16', 'store', 'sync']) {
      const cell = (q?: { p50: number; p99: number }): string =>
        q ? `${q.p50.toFixed(3)} / ${q.p99.toFixed(3)}` : '–';
      console.log(
        `${op.padEnd(7)} ${cell(latency.memory![op]).padEnd(18)} ${cell(latency.redis![op])}`,
      );
    }
    console.log(
      `misses of ${RUNS * OPS * 2} lookups (command timeout): memory ${misses.memory}, redis ${misses.redis}`,
    );
    console.log(`load ${load()}`);

    const out = path.join(__dirname, 'results', 'cache-latest.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          node: process.version,
          cores: os.cpus().length,
          loadavg: loadAfter.map((l) => Math.round(l * 100) / 100),
          runs: RUNS,
          ops: OPS,
          latencyMs: latency,
          misses,
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

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
