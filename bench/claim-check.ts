/**
 * `npm run bench:claim-check`: what the claim check (shared/platform/claim-check.ts) changes for
 * a ~1 MB `answer` request (20 documents of 48 KB, filler a compressor cannot shrink much), with
 * payloads encrypted as npm start runs Keel. Two stacks on one Temporal dev server, each an API
 * with its worker inside: the claim check at its default (16 KiB) and off. Requests alternate
 * between them; reports the history each task leaves (events, payload bytes) and the latency,
 * medians of `--runs` (default 5). Writes bench/results/claim-check-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bigAnswerRequest, historyPayloadBytes } from '../test/support/big-answer';
import { median, round2 } from './lib/stats';
import { startBenchStack, type BenchStack } from './stack';

// Without the flag, indexOf is -1 and argv[0] (node's path) would be read as the count.
const RUNS_AT = process.argv.indexOf('--runs');
const RUNS = RUNS_AT >= 0 ? Number(process.argv[RUNS_AT + 1]) : 5;

interface Sample {
  ms: number;
  events: number;
  payloadBytes: number;
}

async function once(stack: BenchStack, raw: Client, body: string): Promise<Sample> {
  const t0 = performance.now();
  const res = await stack.call('/v1/tasks/answer', { method: 'POST', body });
  const json = (await res.json()) as { jobId?: string; status?: string };
  const ms = performance.now() - t0;
  if (res.status !== 200 || !json.jobId)
    throw new Error(`answer: ${res.status} ${JSON.stringify(json)}`);
  const history = await raw.workflow.getHandle(json.jobId).fetchHistory();
  return {
    ms,
    events: history.events?.length ?? 0,
    payloadBytes: historyPayloadBytes(history.events).bytes,
  };
}

async function main(): Promise<void> {
  const on = await startBenchStack({ embeddedWorker: true });
  const off = await startBenchStack({
    embeddedWorker: true,
    temporalAddress: on.temporalAddress,
    env: { KEEL_CLAIM_CHECK_BYTES: '0' },
  });
  const connection = await Connection.connect({ address: on.temporalAddress });
  const raw = new Client({ connection });
  const body = JSON.stringify({
    ...(bigAnswerRequest('bench') as object),
    options: { maxSyncMs: 60_000 },
  });
  const samples = { on: [] as Sample[], off: [] as Sample[] };
  try {
    await once(on, raw, body); // warm-up: bundles, first connections
    await once(off, raw, body);
    for (let i = 0; i < RUNS; i++) {
      samples.on.push(await once(on, raw, body));
      samples.off.push(await once(off, raw, body));
      process.stdout.write(`\rrun ${i + 1}/${RUNS}`);
    }
  } finally {
    process.stdout.write('\n');
    await connection.close();
    await off.stop();
    await on.stop();
  }
  const summary = (s: Sample[]) => ({
    p50Ms: round2(median(s.map((x) => x.ms))),
    events: median(s.map((x) => x.events)),
    payloadBytes: median(s.map((x) => x.payloadBytes)),
  });
  const result = {
    at: new Date().toISOString(),
    requestBytes: body.length,
    runs: RUNS,
    claimCheck: summary(samples.on),
    noClaimCheck: summary(samples.off),
  };
  const ratio = result.claimCheck.payloadBytes / result.noClaimCheck.payloadBytes;
  console.log(
    [
      `1 MB answer request (${body.length} bytes of JSON), median of ${RUNS}:`,
      `  claim check on : ${result.claimCheck.payloadBytes} payload bytes in ${result.claimCheck.events} events, p50 ${result.claimCheck.p50Ms} ms`,
      `  claim check off: ${result.noClaimCheck.payloadBytes} payload bytes in ${result.noClaimCheck.events} events, p50 ${result.noClaimCheck.p50Ms} ms`,
      `  history bytes on ÷ off: ${ratio.toFixed(4)}; latency on ÷ off: ${(result.claimCheck.p50Ms / result.noClaimCheck.p50Ms).toFixed(2)}`,
    ].join('\n'),
  );
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'claim-check-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
