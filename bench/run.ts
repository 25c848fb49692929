/**
 * `npm run bench`: what Keel's orchestration costs on this machine.
 *
 * Starts its own stack on loopback (headless in-memory Temporal dev server from the real CLI, one
 * worker process, one API process), then measures POST /v1/tasks/classify-ticket end to end,
 * sequentially and with concurrency, next to the same local model called in-process (the floor).
 * Bounded: fixed request counts, loopback only. Writes bench/results/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classifyTicket } from '../shared/tasks/classify-ticket';
import { ROOT } from '../test/support/processes';
import { startBenchStack } from './stack';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 200);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARMUP = 20;

const TICKETS = [
  { subject: 'Refund', body: 'I was charged twice for my subscription' },
  { subject: 'App crash', body: 'The app crashes with error 500 when I open the dashboard' },
  { subject: 'Locked out', body: 'I cannot reset my password and my 2FA codes do not work' },
  { subject: 'Question', body: 'Do you have an office in Lisbon?' },
];

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function summarize(samples: number[], wallMs: number) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    n: samples.length,
    medianMs: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    throughputPerSec: round((samples.length / wallMs) * 1000),
  };
}

async function timed(count: number, concurrency: number, fn: (i: number) => Promise<void>) {
  const samples: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        samples.push(performance.now() - t0);
      }
    }),
  );
  return summarize(samples, performance.now() - start);
}

async function main(): Promise<void> {
  const stack = await startBenchStack();
  const { base, apiKey } = stack;
  try {
    const call = async (i: number): Promise<void> => {
      const res = await fetch(`${base}/v1/tasks/classify-ticket`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: TICKETS[i % TICKETS.length] }),
      });
      if (res.status !== 200) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { meta: { latencyMs: number } };
      pipelineMs.push(body.meta.latencyMs);
    };
    const pipelineMs: number[] = [];
    await timed(WARMUP, 4, call);
    pipelineMs.length = 0;
    const direct = await timed(SEQUENTIAL, 1, (i) => {
      classifyTicket.fallback(classifyTicket.input.parse(TICKETS[i % TICKETS.length]));
      return Promise.resolve();
    });
    const sequential = await timed(SEQUENTIAL, 1, call);
    const sequentialPipeline = summarize(pipelineMs, 1);
    const concurrent = await timed(CONCURRENT, CONCURRENCY, call);
    const report = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      },
      temporal: stack.temporalVersion,
      task: 'classify-ticket (local provider)',
      results: {
        directInProcess: direct,
        keelSequential: sequential,
        [`keelConcurrency${CONCURRENCY}`]: concurrent,
      },
      /** meta.latencyMs: admission to recorded result, inside the workflow (sequential run). */
      workflowPipelineMedianMs: sequentialPipeline.medianMs,
      overheadMedianMs: Math.round((sequential.medianMs - direct.medianMs) * 100) / 100,
    };
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      path.join(ROOT, 'bench/results/latest.json'),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    console.log(
      '\n| path | n | median ms | p95 ms | p99 ms | req/s |\n| --- | --- | --- | --- | --- | --- |',
    );
    for (const [name, r] of Object.entries(report.results)) {
      console.log(
        `| ${name} | ${r.n} | ${r.medianMs} | ${r.p95Ms} | ${r.p99Ms} | ${r.throughputPerSec} |`,
      );
    }
    console.log(
      `\nKeel overhead (median, sequential): ${report.overheadMedianMs} ms, of which admit→record inside the workflow: ${report.workflowPipelineMedianMs} ms.`,
    );
    console.log('Written to bench/results/latest.json');
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
