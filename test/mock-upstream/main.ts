/**
 * `npm run mock-llm -- --port 9101`: the fault-injecting upstream as a standalone process, for
 * benchmarks and manual runs against Keel with real vendor SDKs.
 */
import { parseArgs } from 'node:util';
import { SCENARIOS, startMockUpstream } from './index';
import type { MockUpstreamOptions } from './index';

function numberFlag(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  // Fail fast: a typo silently becoming 0 ms latency would skew a whole benchmark run.
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number >= 0`);
  return value;
}

function optionsFromArgv(argv: string[]): MockUpstreamOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'latency-ms': { type: 'string' },
      'slow-median-ms': { type: 'string' },
      'slow-p99-ms': { type: 'string' },
      'flap-period-ms': { type: 'string' },
      'ttft-ms': { type: 'string' },
      'trickle-ms': { type: 'string' },
      seed: { type: 'string' },
      'drift-after': { type: 'string' },
    },
    strict: true,
  });
  const median = numberFlag(values, 'slow-median-ms');
  const p99 = numberFlag(values, 'slow-p99-ms');
  const options: MockUpstreamOptions = {
    port: numberFlag(values, 'port') ?? 9101,
    host: values.host ?? '127.0.0.1',
  };
  const latencyMs = numberFlag(values, 'latency-ms');
  const flapPeriodMs = numberFlag(values, 'flap-period-ms');
  const ttftMs = numberFlag(values, 'ttft-ms');
  const trickleMs = numberFlag(values, 'trickle-ms');
  const seed = numberFlag(values, 'seed');
  const driftAfterCalls = numberFlag(values, 'drift-after');
  if (driftAfterCalls !== undefined) options.driftAfterCalls = driftAfterCalls;
  if (latencyMs !== undefined) options.latencyMs = latencyMs;
  if (flapPeriodMs !== undefined) options.flapPeriodMs = flapPeriodMs;
  if (ttftMs !== undefined) options.ttftMs = ttftMs;
  if (trickleMs !== undefined) options.trickleMs = trickleMs;
  if (seed !== undefined) options.seed = seed;
  if (median !== undefined || p99 !== undefined) {
    const medianMs = median ?? 1_500;
    options.slow = { medianMs, p99Ms: p99 ?? Math.max(medianMs, 4_000) };
  }
  return options;
}

async function main(): Promise<void> {
  const mock = await startMockUpstream(optionsFromArgv(process.argv.slice(2)));
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  const lines = [
    `Keel mock LLM upstream listening on ${mock.url}`,
    '',
    'Point the SDKs at it:',
    `  OPENAI_BASE_URL=${mock.url}/v1 OPENAI_API_KEY=test`,
    `  ANTHROPIC_BASE_URL=${mock.url} ANTHROPIC_API_KEY=test`,
    '',
    'Pick a scenario with the `model` field:',
    ...SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  ${s.description}`),
    '',
    `Inspect: GET ${mock.url}/_mock/scenarios, GET|DELETE ${mock.url}/_mock/attempts`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = (signal: string): void => {
    process.stdout.write(`\n${signal}: stopping mock upstream\n`);
    mock.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`mock-llm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
