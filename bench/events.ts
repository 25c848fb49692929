/**
 * `npx tsx bench/events.ts [--jobs N]`: how late a job's server-sent events arrive. For each job
 * (classify-ticket held for review), a client listens on GET /v1/jobs/{id}/events and a reviewer
 * approves as soon as `review.requested` arrives; the delay of `review.decided` = its arrival −
 * its `at` (the
 * writer's clock, in the event; one machine, one clock). Two deployments on one dev server:
 * the API with its worker inside (the stream hears the event in process) and a worker process
 * (the API reads the log every KEEL_EVENT_POLL_MS, default 250 ms). Writes
 * bench/results/events-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSse } from '../test/support/sse';
import { median, percentile, round2 } from './lib/stats';
import { startBenchStack, type BenchStack } from './stack';

// Without the flag, indexOf is -1 and argv[0] (node's path) would be read as the count.
const JOBS_AT = process.argv.indexOf('--jobs');
const JOBS = JOBS_AT >= 0 ? Number(process.argv[JOBS_AT + 1]) : 30;
/** Written after the client is listening (a `review.requested` may be older than the stream). */
const TYPES = new Set(['review.decided']);

async function delays(stack: BenchStack, label: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < JOBS; i++) {
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({
        input: { subject: 'Refund', body: `I was charged twice (${i})` },
        options: { review: 'always' },
      }),
    });
    const { jobId } = (await res.json()) as { jobId: string };
    await readSse(await stack.call(`/v1/jobs/${jobId}/events`), {
      onEvent: (e) => {
        const now = Date.now();
        if (TYPES.has(e.event)) out.push(now - Date.parse(e.data.at as string));
        if (e.event === 'review.requested')
          void stack.call(`/v1/reviews/${jobId}`, {
            method: 'POST',
            body: JSON.stringify({ decision: 'approve' }),
          });
      },
    });
    process.stdout.write(`\r${label}: ${i + 1}/${JOBS}`);
  }
  process.stdout.write('\n');
  return out;
}

async function main(): Promise<void> {
  const embedded = await startBenchStack({ embeddedWorker: true });
  const twoProcess = await startBenchStack({ temporalAddress: embedded.temporalAddress });
  const result: Record<string, { events: number; p50Ms: number; p99Ms: number }> = {};
  try {
    for (const [label, stack] of [
      ['embedded worker', embedded],
      ['worker process', twoProcess],
    ] as const) {
      const d = (await delays(stack, label)).sort((a, b) => a - b);
      result[label] = {
        events: d.length,
        p50Ms: round2(median(d)),
        p99Ms: round2(percentile(d, 99)),
      };
    }
  } finally {
    await twoProcess.stop();
    await embedded.stop();
  }
  for (const [label, r] of Object.entries(result))
    console.log(`${label}: ${r.events} events, delay p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'events-latest.json'),
    `${JSON.stringify({ at: new Date().toISOString(), jobs: JOBS, result }, null, 2)}\n`,
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
