import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  BatchAcceptedBody,
  BatchBody,
  BatchCancelBody,
} from '../../shared/contracts/batch-http';
import { CliError, ExitCode, type KeelApi } from './api';
import { checkItemsFile, resolveFrom } from './items-file';
import { createProgress, formatDuration, formatUsd, type BatchProgress } from './progress';
import { followEvents } from './sse';

/** What a command writes to: the process's streams, or a test's. */
export interface Terminal {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** Whether `err` is a terminal (a live bar) or not (a line per 10 %). */
  errIsTty: boolean;
  /** The directory relative paths are read from (where the user ran the command). */
  cwd: string;
}

/** The `--option` keys a batch takes, as the API's JSONL upload reads them from its query. */
export const BATCH_OPTION_KEYS = ['route', 'review', 'allowDegraded'] as const;

/** `--option k=v` (repeatable) → query parameters; an unknown key or a missing `=` is usage. */
export function parseBatchOptions(pairs: string[]): URLSearchParams {
  const query = new URLSearchParams();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!(BATCH_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new CliError(
        `--option ${pair}: expected key=value with key one of ${BATCH_OPTION_KEYS.join(', ')}.`,
        ExitCode.usage,
      );
    }
    query.set(key, pair.slice(eq + 1));
  }
  return query;
}

/**
 * `keel batch submit <file> --task <t>`: checks the file, streams it as the JSONL upload, then
 * (unless `--no-wait`) follows the batch's events with a progress display until it ends. Exit 0
 * when every item completed, 1 when some failed or the batch was cancelled.
 */
export async function submitBatch(
  api: KeelApi,
  term: Terminal,
  args: {
    file: string;
    task: string;
    options: string[];
    idempotencyKey?: string;
    wait: boolean;
  },
): Promise<ExitCode> {
  const query = parseBatchOptions(args.options);
  query.set('task', args.task);
  const file = resolveFrom(term.cwd, args.file);
  await checkItemsFile(file, args.file);
  const accepted = await api.json<BatchAcceptedBody>(`/v1/batches?${query.toString()}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      ...(args.idempotencyKey ? { 'idempotency-key': args.idempotencyKey } : {}),
    },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    duplex: 'half',
  });
  term.out.write(
    `Batch ${accepted.batchId} accepted: ${accepted.items} item${accepted.items === 1 ? '' : 's'}` +
      `${accepted.invalid > 0 ? `, ${accepted.invalid} invalid (they fail without running)` : ''}.\n`,
  );
  for (const e of accepted.errors ?? []) term.err.write(`  invalid: ${e.field}: ${e.message}\n`);
  const unlisted = accepted.invalid - (accepted.errors?.length ?? 0);
  if (unlisted > 0) term.err.write(`  … and ${unlisted} more invalid items (see the results).\n`);
  if (!args.wait) return ExitCode.ok;
  return watchBatch(api, term, accepted.batchId);
}

/** Follows a batch's events to its end with a progress display; the summary line on stdout. */
export async function watchBatch(api: KeelApi, term: Terminal, batchId: string): Promise<ExitCode> {
  const progress = createProgress({ stream: term.err, tty: term.errIsTty });
  const stopOnInterrupt = (): void => {
    progress.stop();
    term.err.write(
      `\nStopped watching; the batch goes on (keel batch status ${batchId}, keel batch cancel ${batchId}).\n`,
    );
    process.exit(ExitCode.interrupted);
  };
  process.once('SIGINT', stopOnInterrupt);
  let end: BatchBody | undefined;
  try {
    await followEvents(api, `/v1/batches/${encodeURIComponent(batchId)}/events`, (e) => {
      if (e.event === 'batch.status' || e.event === 'batch.completed') {
        const view = e.data as BatchBody;
        progress.update(fromView(view));
        if (e.event === 'batch.completed') end = view;
      } else if (e.event === 'batch.progress') {
        progress.update(fromProgressEvent(e.data as ProgressEventData));
      }
      return end !== undefined;
    });
  } finally {
    progress.stop();
    process.off('SIGINT', stopOnInterrupt);
  }
  if (!end) throw new CliError(`batch ${batchId}: the event stream ended early`, ExitCode.failed);
  term.out.write(`${summaryLine(end)}\n`);
  const clean = end.status === 'completed' && end.counts.failed === 0 && end.counts.cancelled === 0;
  return clean ? ExitCode.ok : ExitCode.failed;
}

/** The data of a `batch.progress` event. */
interface ProgressEventData {
  total: number;
  counts: BatchBody['counts'];
  costUsd: number;
}

const fromProgressEvent = (d: ProgressEventData): BatchProgress => ({
  total: d.total,
  completed: d.counts.completed ?? 0,
  failed: d.counts.failed ?? 0,
  cancelled: d.counts.cancelled ?? 0,
  costUsd: d.costUsd,
});

const fromView = (v: BatchBody): BatchProgress => ({
  ...fromProgressEvent({ total: v.items, counts: v.counts, costUsd: v.costUsd }),
  serverRate: v.itemsPerSecond,
});

/** `Batch b completed: 200 done of 200 (200 completed, 0 failed, 0 cancelled) in 14s, 14.1 items/s, $0.0000.` */
export function summaryLine(v: BatchBody): string {
  const c = v.counts;
  const done = (c.completed ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0);
  const took = v.finishedAt
    ? ` in ${formatDuration((Date.parse(v.finishedAt) - Date.parse(v.createdAt)) / 1000)}`
    : '';
  return (
    `Batch ${v.batchId} ${v.status}: ${done} done of ${v.items} ` +
    `(${c.completed ?? 0} completed, ${c.failed ?? 0} failed, ${c.cancelled ?? 0} cancelled)` +
    `${took}, ${v.itemsPerSecond.toFixed(1)} items/s, ${formatUsd(v.costUsd)}.`
  );
}

/** `keel batch status <id>`: the batch in a few lines, or its JSON with `--json`. */
export async function batchStatus(
  api: KeelApi,
  term: Terminal,
  args: { id: string; json: boolean },
): Promise<ExitCode> {
  const v = await api.json<BatchBody>(`/v1/batches/${encodeURIComponent(args.id)}`);
  if (args.json) {
    term.out.write(`${JSON.stringify(v, null, 2)}\n`);
    return ExitCode.ok;
  }
  const c = v.counts;
  const rows: Array<[string, string]> = [
    ['batch', v.batchId],
    ['task', v.task],
    ['status', v.status],
    [
      'items',
      `${v.items}: ${c.completed} completed, ${c.failed} failed, ${c.cancelled} cancelled, ` +
        `${c.running} running, ${c.pending} pending`,
    ],
    ['cost', formatUsd(v.costUsd)],
    [
      'rate',
      `${v.itemsPerSecond.toFixed(1)} items/s` +
        (v.etaSeconds !== undefined ? `, ETA ${formatDuration(v.etaSeconds)}` : ''),
    ],
    ['created', v.createdAt],
    ...(v.finishedAt ? [['finished', v.finishedAt] as [string, string]] : []),
  ];
  for (const [k, val] of rows) term.out.write(`${k.padEnd(9)}${val}\n`);
  return ExitCode.ok;
}

/** `keel batch results <id>`: the results JSONL, streamed to stdout as it arrives. */
export async function batchResults(
  api: KeelApi,
  term: Terminal,
  args: { id: string },
): Promise<ExitCode> {
  const res = await api.request(`/v1/batches/${encodeURIComponent(args.id)}/results`);
  if (!res.body) return ExitCode.ok;
  try {
    await pipeline(Readable.fromWeb(res.body as never), term.out, { end: false });
  } catch (err) {
    // A reader that stops early (`| head`) is no failure.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return ExitCode.ok;
    throw new CliError(`the results stream broke: ${(err as Error).message}`, ExitCode.failed);
  }
  return ExitCode.ok;
}

/** `keel batch cancel <id>`: running items are cancelled, the others never start. */
export async function cancelBatch(
  api: KeelApi,
  term: Terminal,
  args: { id: string },
): Promise<ExitCode> {
  const body = await api.json<BatchCancelBody>(
    `/v1/batches/${encodeURIComponent(args.id)}/cancel`,
    { method: 'POST' },
  );
  term.out.write(`Batch ${body.batchId}: ${body.status}.\n`);
  return ExitCode.ok;
}
