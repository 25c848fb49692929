/**
 * `npm run bench:reviews`: how long the reviewer's queue takes to list when it is long.
 *
 * Starts its own stack (bench/stack.ts), parks BENCH_REVIEWS (1,000) classify-ticket tasks in
 * review (`options.review: "always"`, answered 202 at once), waits until visibility shows them
 * all, then times `GET /v1/reviews?limit=1000` over HTTP. Loopback only, bounded in count.
 * Writes bench/results/reviews-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, waitFor } from '../test/support/processes';
import { percentile } from './lib/stats';
import { startBenchStack } from './stack';

const PENDING = Number(process.env.BENCH_REVIEWS ?? 1_000);
const LISTINGS = 30;
const CONCURRENCY = 16;

async function main(): Promise<void> {
  const stack = await startBenchStack();
  try {
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < PENDING) {
          const i = next++;
          const res = await stack.call('/v1/tasks/classify-ticket', {
            method: 'POST',
            body: JSON.stringify({
              input: { subject: `Refund ${i}`, body: 'I was charged twice' },
              options: { review: 'always', maxSyncMs: 0 },
            }),
          });
          if (res.status !== 202) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        }
      }),
    );
    const submitMs = performance.now() - startedAt;
    const count = async (): Promise<number> =>
      ((await (await stack.call(`/v1/reviews?limit=1000`)).json()) as { items: unknown[] }).items
        .length;
    await waitFor('every task in review', async () => (await count()) >= Math.min(PENDING, 1_000), {
      timeoutMs: 600_000,
    });
    const samples: number[] = [];
    for (let i = 0; i < LISTINGS; i++) {
      const t0 = performance.now();
      const n = await count();
      samples.push(performance.now() - t0);
      if (n < Math.min(PENDING, 1_000)) throw new Error(`listed ${n}`);
    }
    samples.sort((a, b) => a - b);
    const round = (n: number): number => Math.round(n * 10) / 10;
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      temporal: stack.temporalVersion,
      pending: PENDING,
      submitSeconds: round(submitMs / 1000),
      listing: {
        limit: 1_000,
        n: LISTINGS,
        medianMs: round(percentile(samples, 50)),
        p95Ms: round(percentile(samples, 95)),
        targetMs: 200,
      },
    };
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      path.join(ROOT, 'bench/results/reviews-latest.json'),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    console.log(
      `${PENDING} pending reviews (parked in ${report.submitSeconds} s); GET /v1/reviews?limit=1000: median ${report.listing.medianMs} ms, p95 ${report.listing.p95Ms} ms (target < 200 ms)`,
    );
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
