/**
 * `npm run bench:batch [-- --items 2000] [--concurrency 16] [--seconds 15] [--routes a,b]`:
 * batch throughput against single-task throughput in the same run, per route (the in-process
 * local model and `openai:ok` on the mock upstream). Single tasks: 16 closed-loop clients of
 * `POST /v1/tasks/classify-ticket` for `--seconds`. Batch: one JSONL upload of `--items` tickets,
 * timed from the upload to `completed` (GET polled every 250 ms). The worker's and the API's RSS
 * is sampled every second through each phase. Writes bench/results/batch-latest.json
 * (docs/batches.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startMockUpstream } from '../test/mock-upstream';
import { upstreamEnv } from '../test/support/upstream-env';
import { cpuMs, rssMb } from './lib/proc-stats';
import { round2 } from './lib/stats';
import { startBenchStack, type BenchStack } from './stack';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '15' },
    routes: { type: 'string', default: 'local:keel-local-1,openai:ok' },
    verbose: { type: 'boolean', default: false },
  },
  strict: true,
});

const ticket = (i: number) => ({ subject: 'Refund', body: `I was charged twice (order ${i})` });

/** RSS (MB) of the worker and the API while `run` runs, and the CPU each process spent on it. */
async function sampled<T>(
  stack: BenchStack,
  run: () => Promise<T>,
): Promise<{
  value: T;
  rss: Record<'worker' | 'api', { first: number; peak: number; last: number }>;
  cpuMs: Record<'temporal' | 'worker' | 'api', number>;
}> {
  const pids = stack.pids();
  const series = { worker: [] as number[], api: [] as number[] };
  const sample = (): void => {
    for (const role of ['worker', 'api'] as const) {
      const pid = pids[role];
      const mb = pid === undefined ? undefined : rssMb(pid);
      if (mb !== undefined) series[role].push(mb);
    }
  };
  sample();
  const cpu = (): number[] => [cpuMs(pids.temporal), cpuMs(pids.worker), cpuMs(pids.api)];
  const before = cpu();
  const timer = setInterval(sample, 1_000);
  try {
    const value = await run();
    const after = cpu();
    sample();
    const sum = (s: number[]) => ({
      first: round2(s[0] ?? 0),
      peak: round2(Math.max(...s)),
      last: round2(s.at(-1) ?? 0),
    });
    const [temporal, worker, api] = after.map((a, i) => a - before[i]!);
    return {
      value,
      rss: { worker: sum(series.worker), api: sum(series.api) },
      cpuMs: { temporal: temporal!, worker: worker!, api: api! },
    };
  } finally {
    clearInterval(timer);
  }
}

async function singleTasks(
  stack: BenchStack,
  route: string,
  seconds: number,
): Promise<{ perSec: number; count: number }> {
  const send = async (i: number): Promise<void> => {
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({ input: ticket(i), options: { route: [route] } }),
    });
    if (res.status !== 200) throw new Error(`${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  for (let i = 0; i < 40; i++) await send(i); // warm-up
  const started = performance.now();
  let tasks = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() - started < seconds * 1_000) await send(tasks++);
    }),
  );
  return { perSec: (tasks / (performance.now() - started)) * 1_000, count: tasks + 40 };
}

async function batch(
  stack: BenchStack,
  route: string,
  items: number,
): Promise<{
  itemsPerSec: number;
  uploadMs: number;
  seconds: number;
  resultsMs: number;
  counts: unknown;
}> {
  const body = Array.from({ length: items }, (_, i) => JSON.stringify(ticket(i))).join('\n');
  const started = performance.now();
  // Straight to the API: the stack's `call` sends JSON only.
  const res = await fetch(
    `${stack.base}/v1/batches?task=classify-ticket&route=${encodeURIComponent(route)}`,
    {
      method: 'POST',
      body,
      headers: {
        authorization: `Bearer ${stack.apiKey}`,
        'content-type': 'application/x-ndjson',
      },
    },
  );
  if (res.status !== 202) throw new Error(`${res.status}: ${await res.text()}`);
  const uploadMs = performance.now() - started;
  const { batchId } = (await res.json()) as { batchId: string };
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const view = (await (await stack.call(`/v1/batches/${batchId}`)).json()) as {
      status: string;
      counts: { completed: number };
    };
    if (values.verbose) console.error(JSON.stringify(view.counts));
    if (view.status !== 'running') {
      const seconds = (performance.now() - started) / 1_000;
      if (view.counts.completed !== items)
        throw new Error(`batch ended ${view.status}: ${JSON.stringify(view.counts)}`);
      // The results, outputs read from each item's job: how long a caller waits for them.
      const read = performance.now();
      const lines = (await (await stack.call(`/v1/batches/${batchId}/results`)).text())
        .split('\n')
        .filter((l) => l !== '').length;
      if (lines !== items) throw new Error(`results: ${lines} lines for ${items} items`);
      const resultsMs = performance.now() - read;
      return { itemsPerSec: items / seconds, uploadMs, seconds, resultsMs, counts: view.counts };
    }
  }
}

const perItem = (cpu: Record<string, number>, n: number): Record<string, number> =>
  Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round2(v / n)]));

async function main(): Promise<void> {
  const items = Number(values.items);
  const seconds = Number(values.seconds);
  const mock = await startMockUpstream({ port: 0 });
  const stack = await startBenchStack({
    env: { ...upstreamEnv(mock.url), KEEL_BATCH_CONCURRENCY: values.concurrency },
  });
  const rows = [];
  try {
    for (const route of values.routes.split(',')) {
      const single = await sampled(stack, () => singleTasks(stack, route, seconds));
      const run = await sampled(stack, () => batch(stack, route, items));
      const row = {
        route,
        items,
        concurrency: Number(values.concurrency),
        singleTasksPerSec: round2(single.value.perSec),
        batchItemsPerSec: round2(run.value.itemsPerSec),
        ratio: round2(run.value.itemsPerSec / single.value.perSec),
        cpuMsPerItem: {
          single: perItem(single.cpuMs, single.value.count),
          batch: perItem(run.cpuMs, items),
        },
        batchSeconds: round2(run.value.seconds),
        uploadMs: round2(run.value.uploadMs),
        resultsMs: round2(run.value.resultsMs),
        rssMb: { single: single.rss, batch: run.rss },
      };
      console.log(JSON.stringify(row));
      rows.push(row);
    }
  } finally {
    await stack.stop();
    await mock.close();
  }
  const out = path.join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'batch-latest.json'),
    `${JSON.stringify({ at: new Date().toISOString(), rows }, null, 2)}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
