/**
 * `npm run bench:log-masking [-- --rounds N]`: what masking PII in log lines costs
 * (shared/platform/logger.ts: Keel's detectors on every string a line writes). Each line is
 * written through Keel's logger and through pino with the same key-path redaction but no value
 * masking, to a sink that drops it, alternating; the figure is the difference per line, then per
 * task: a task writes one line at `info` (`task completed`) and about 60 at `debug` (Temporal
 * Core's, counted in test/e2e/no-pii-leaks.test.ts's run: 934 debug lines for 15 tasks).
 */
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { createLogger } from '../shared/platform/logger';
import { median, round2 } from './lib/stats';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '15' } },
  strict: true,
});
const ROUNDS = Number(values.rounds);
const sink = { write: (): void => undefined };

const jobId = 'classify-ticket-02fe8081-5f39-40c5-aefd-be340939dab1';
const runId = '01a24f41-28e3-752e-8857-578746a3bd56';
const taskQueue = 'keel-tasks';
const error = new Error('HTTP 401 from openai:ok: invalid_api_key for sam.lee@example.org');

/** Lines as Keel writes them (taken from a real run's output), by kind. */
const LINES: Record<string, { iterations: number; write: (log: Logger) => void }> = {
  'info: task completed': {
    iterations: 20_000,
    write: (log) =>
      log.info(
        {
          event: 'task.completed',
          jobId,
          tenant: 'demo',
          task: 'classify-ticket',
          provider: 'openai',
          model: 'ok',
          path: 'primary',
          attempts: 1,
          latencyMs: 200,
          inputTokens: 248,
          outputTokens: 48,
          costUsd: 0.00088,
        },
        'task completed',
      ),
  },
  'debug: Temporal Core line': {
    iterations: 20_000,
    write: (log) =>
      log.debug(
        {
          sdkComponent: 'core',
          target: 'temporalio_sdk_core::worker::workflow::machines',
          machineName: 'LocalActivityMachine',
          commandType: 'RecordMarker',
          completion: `WorkflowActivationCompletion(run_id: ${runId}, status: Success(StartTimer(1) ScheduleLocalActivity(2, callModel) ))`,
          runId,
          workflowId: jobId,
          taskQueue,
          state: 'MarkerCommandCreated',
        },
        'handling command',
      ),
  },
  'warn: an error with its stack': {
    iterations: 5_000,
    write: (log) =>
      log.warn({ sdkComponent: 'activity', activityType: 'callModel', error }, 'Activity failed'),
  },
  'a 10 KB message with PII': {
    iterations: 500,
    write: (log) => log.warn(TEN_KB),
  },
  'a 1 MB message (cut at 64 KB)': {
    iterations: 20,
    write: (log) => log.warn(ONE_MB),
  },
};
const TEN_KB = 'Call me at +1 415 555 0132 or write to sam.lee@example.org. '
  .concat('The parcel never arrived and support did not answer my tickets. '.repeat(160))
  .slice(0, 10_240);
const ONE_MB = TEN_KB.repeat(103);

const keel = createLogger({ name: 'bench', level: 'debug', destination: sink });
const plain = pino(
  {
    name: 'bench',
    level: 'debug',
    redact: { paths: ['input', 'output', 'prompt', '*.input', '*.output'], censor: '[redacted]' },
    base: { service: 'keel', component: 'bench' },
  },
  sink,
);

function microsPerLine(log: Logger, line: (typeof LINES)[string]): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < line.iterations; i++) line.write(log);
  return Number(process.hrtime.bigint() - start) / 1e3 / line.iterations;
}

const rows: Array<Record<string, string | number>> = [];
for (const [kind, line] of Object.entries(LINES)) {
  microsPerLine(keel, line); // warm-up
  microsPerLine(plain, line);
  const masked: number[] = [];
  const unmasked: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    masked.push(microsPerLine(keel, line));
    unmasked.push(microsPerLine(plain, line));
  }
  rows.push({
    line: kind,
    'masked µs': round2(median(masked)),
    'unmasked µs': round2(median(unmasked)),
    'added µs': round2(median(masked) - median(unmasked)),
  });
}
console.table(rows);
const added = (kind: string): number => Number(rows.find((r) => r.line === kind)!['added µs']);
const info = added('info: task completed');
const debug = info + 60 * added('debug: Temporal Core line');
console.log(
  `added per task: ${round2(info)} µs at info (1 line), ~${round2(debug)} µs at debug (~60 lines)`,
);
