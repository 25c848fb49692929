/**
 * `npx tsx bench/long-document.ts [--runs 3]`: how long a long-document `summarize`
 * (docs/long-documents.md) takes on the local model, as npm start runs Keel (one API process
 * with its worker inside, its own Temporal dev server, the claim check on), for texts of 150k,
 * 300k, 1M and 2M characters (test/support/long-text.ts). Per size: the median time from the
 * POST to the completed job, the chunks and child jobs, and the parent's history payload bytes.
 * Writes bench/results/long-document-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyPayloadBytes } from '../test/support/big-answer';
import { operationsLog } from '../test/support/long-text';
import { median, round2 } from './lib/stats';
import { startBenchStack, type BenchStack } from './stack';

const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3);
const SIZES = [150_000, 300_000, 1_000_000, 2_000_000];

interface Job {
  jobId: string;
  status: string;
  meta?: { longDocument?: { chunks: number; children: unknown[]; rounds: number } };
}

async function once(stack: BenchStack, raw: Client, text: string) {
  const t0 = performance.now();
  const res = await stack.call('/v1/tasks/summarize', {
    method: 'POST',
    body: JSON.stringify({
      input: { text, maxWords: 80 },
      options: { route: ['local:keel-local-1'] },
    }),
  });
  let job = (await res.json()) as Job;
  if (res.status !== 200 && res.status !== 202)
    throw new Error(`${res.status} ${JSON.stringify(job)}`);
  while (job.status === 'running') {
    await new Promise((r) => setTimeout(r, 50));
    job = (await (await stack.call(`/v1/jobs/${job.jobId}`)).json()) as Job;
  }
  const ms = performance.now() - t0;
  if (job.status !== 'completed') throw new Error(`job ${job.jobId}: ${job.status}`);
  const history = await raw.workflow.getHandle(job.jobId).fetchHistory();
  const long = job.meta!.longDocument!;
  return {
    ms,
    chunks: long.chunks,
    children: long.children.length,
    rounds: long.rounds,
    historyPayloadBytes: historyPayloadBytes(history.events).bytes,
  };
}

async function main(): Promise<void> {
  const stack = await startBenchStack({
    embeddedWorker: true,
    env: { KEEL_MAX_BODY_BYTES: String(4 * 1024 * 1024) },
  });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const raw = new Client({ connection });
  const sizes = [];
  try {
    await once(stack, raw, operationsLog(SIZES[0]!)); // warm-up: bundle, first connections
    for (const size of SIZES) {
      const text = operationsLog(size).slice(0, size);
      const samples = [];
      for (let i = 0; i < RUNS; i++) samples.push(await once(stack, raw, text));
      const row = {
        chars: text.length,
        p50Ms: round2(median(samples.map((s) => s.ms))),
        chunks: samples[0]!.chunks,
        childJobs: samples[0]!.children,
        rounds: samples[0]!.rounds,
        historyPayloadBytes: median(samples.map((s) => s.historyPayloadBytes)),
      };
      console.log(
        `${row.chars} chars: p50 ${row.p50Ms} ms, ${row.chunks} chunks, ${row.childJobs} child jobs, ` +
          `${row.rounds} round(s), parent history payloads ${row.historyPayloadBytes} bytes`,
      );
      sizes.push(row);
    }
  } finally {
    await connection.close();
    await stack.stop();
  }
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'long-document-latest.json'),
    `${JSON.stringify({ at: new Date().toISOString(), runs: RUNS, model: 'local:keel-local-1', sizes }, null, 2)}\n`,
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
