/**
 * `npm run bench:throughput [-- --route openai:ok] [--embedded]`: Keel alone, the figures the
 * levers table in the README compares — sequential median, 16-concurrent throughput, and CPU
 * milliseconds per task of the Temporal dev server, the worker and the API (from /proc).
 * The upstream runs in this process; bounded: 40 warm-up, 150 sequential, then 15 s.
 * `--profile <dir>` writes V8 CPU profiles of Keel's processes there (`node --cpu-prof`);
 * `npx tsx bench/lib/profile-summary.ts <dir>/*.cpuprofile` reads them.
 */
import { parseArgs } from 'node:util';
import { startMockUpstream } from '../test/mock-upstream';
import { upstreamEnv } from '../test/support/upstream-env';
import { cpuMs } from './lib/proc-stats';
import { median, round2 } from './lib/stats';
import { startBenchStack } from './stack';

const { values } = parseArgs({
  options: {
    route: { type: 'string', default: 'local:keel-local-1' },
    embedded: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '15' },
    profile: { type: 'string' },
  },
  strict: true,
});

async function main(): Promise<void> {
  const mock = await startMockUpstream({ port: 0 });
  const stack = await startBenchStack({
    env: upstreamEnv(mock.url),
    embeddedWorker: values.embedded,
    cpuProfileDir: values.profile,
  });
  try {
    const send = async (i: number): Promise<void> => {
      const res = await stack.call('/v1/tasks/classify-ticket', {
        method: 'POST',
        body: JSON.stringify({
          input: { subject: 'Refund', body: `I was charged twice (order ${i})` },
          options: { route: [values.route] },
        }),
      });
      if (res.status !== 200) throw new Error(`${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < 40; i++) await send(i);
    const sequential: number[] = [];
    for (let i = 0; i < 150; i++) {
      const started = performance.now();
      await send(i);
      sequential.push(performance.now() - started);
    }
    const pids = stack.pids();
    const separate = pids.api !== pids.worker;
    const before = [cpuMs(pids.temporal), cpuMs(pids.worker), separate ? cpuMs(pids.api) : 0];
    const durationMs = Number(values.seconds) * 1000;
    const started = performance.now();
    let tasks = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() - started < durationMs) await send(tasks++);
      }),
    );
    const elapsed = performance.now() - started;
    const after = [cpuMs(pids.temporal), cpuMs(pids.worker), separate ? cpuMs(pids.api) : 0];
    const perTask = after.map((a, i) => round2((a - before[i]!) / tasks));
    console.log(
      JSON.stringify({
        route: values.route,
        embeddedWorker: values.embedded,
        sequentialMedianMs: round2(median(sequential)),
        tasksPerSec: round2((tasks / elapsed) * 1000),
        cpuMsPerTask: { temporal: perTask[0], worker: perTask[1], api: perTask[2] },
      }),
    );
  } finally {
    await stack.stop();
    await mock.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
