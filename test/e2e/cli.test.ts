import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port';
import { ROOT, waitFor } from '../support/processes';
import { startStack, type Stack } from '../support/stack';

/**
 * The `keel` CLI as a user drives it: the real bin from package.json (its shebang, tsx, no build)
 * spawned against a real stack (API and worker processes, the suite's Temporal dev server) on
 * the local model; each test checks what the user reads (stdout, stderr, the exit code, files).
 */
let stack: Stack;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'keel-cli-'));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const BIN = path.join(ROOT, pkg.bin.keel);
const LOCAL = 'route=local:keel-local-1';

beforeAll(async () => {
  stack = await startStack({ KEEL_BATCH_CONCURRENCY: '16', KEEL_BATCH_ITEMS_PER_RUN: '100' });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  /** What it printed so far. */
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

/**
 * `keel <args>` from `tmp` (relative paths are the user's), with the stack's URL and key in the
 * environment unless `env` says otherwise; stdout to `stdoutFile` when given (`> file`).
 */
function keel(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdoutFile?: string; command?: string[] } = {},
): Run {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KEEL_URL: stack.baseUrl,
    KEEL_API_KEY: stack.apiKey,
    ...opts.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const fd = opts.stdoutFile ? openSync(opts.stdoutFile, 'w') : undefined;
  const [cmd, ...pre] = opts.command ?? [BIN];
  const child = spawn(cmd!, [...pre, ...args], {
    cwd: tmp,
    env,
    stdio: ['ignore', fd ?? 'pipe', 'pipe'],
  });
  if (fd !== undefined) closeSync(fd);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  return { out: () => out, err: () => err, exited };
}

async function run(
  args: string[],
  opts: Parameters<typeof keel>[1] = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const r = keel(args, opts);
  const code = await r.exited;
  return { code, out: r.out(), err: r.err() };
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const ticket = (i: number) => ({ subject: 'Refund', body: `ticket ${i}: I was charged twice` });

describe('keel CLI', () => {
  it('keel tasks (through npm run keel) lists the tasks with their descriptions', async () => {
    const { code, out } = await run(['tasks'], {
      command: ['npm', '--prefix', ROOT, 'run', '-s', 'keel', '--'],
    });
    expect(code).toBe(0);
    expect(lines(out)).toContainEqual(
      expect.stringMatching(/^classify-ticket\s+Route a support ticket to BILLING/),
    );
    expect(lines(out).map((l) => l.split(/\s+/)[0])).toEqual(
      expect.arrayContaining(['summarize', 'classify-ticket', 'extract-invoice', 'answer']),
    );
  });

  it('batch submit: a 200-item file to its end (exit 0, the summary), then status and results to a file in order', async () => {
    writeFileSync(
      path.join(tmp, 'items.jsonl'),
      `${Array.from({ length: 200 }, (_, i) => JSON.stringify(ticket(i))).join('\n')}\n`,
    );
    const submitted = await run([
      'batch',
      'submit',
      'items.jsonl',
      '--task',
      'classify-ticket',
      '--option',
      LOCAL,
    ]);
    expect(submitted.code, submitted.err).toBe(0);
    const [accepted, summary] = lines(submitted.out);
    const id = /^Batch (batch_\S+) accepted: 200 items\.$/.exec(accepted!)?.[1];
    expect(id, accepted).toBeDefined();
    expect(summary).toMatch(
      new RegExp(
        `^Batch ${id} completed: 200 done of 200 \\(200 completed, 0 failed, 0 cancelled\\)( in \\S+)?, [\\d.]+ items/s, \\$\\d+\\.\\d{4}\\.$`,
      ),
    );
    // stderr is no terminal here: plain lines, one per tenth at most, no redraws, ending at 100 %.
    const progress = lines(submitted.err);
    expect(submitted.err).not.toContain('\r');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(11);
    for (const l of progress)
      expect(l).toMatch(
        /^progress: \d+% \d+\/200 done, \d+ failed, [\d.]+ items\/s(, ETA \S+( \S+)?)?, \$\d+\.\d{4}$/,
      );
    const percents = progress.map((l) => Number(/(\d+)%/.exec(l)![1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatch(/^progress: 100% 200\/200 done, 0 failed/);

    const status = await run(['batch', 'status', id!]);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^status\s+completed$/m);
    expect(status.out).toMatch(/^items\s+200: 200 completed, 0 failed, 0 cancelled/m);

    const file = path.join(tmp, 'out.jsonl');
    const results = await run(['batch', 'results', id!], { stdoutFile: file });
    expect(results.code, results.err).toBe(0);
    expect(results.err).toBe('');
    const rows = lines(readFileSync(file, 'utf8')).map((l) => JSON.parse(l));
    expect(rows).toHaveLength(200);
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(rows.every((r) => r.status === 'completed')).toBe(true);
    expect(rows.map((r) => r.output.category)).toEqual(Array(200).fill('BILLING'));
    expect(new Set(rows.map((r) => r.jobId)).size).toBe(200);
  }, 180_000);

  it('batch submit --no-wait prints the id and exits; batch cancel then cancels it', async () => {
    writeFileSync(
      path.join(tmp, 'many.jsonl'),
      Array.from({ length: 2_000 }, (_, i) => JSON.stringify(ticket(i))).join('\n'),
    );
    const submitted = await run([
      'batch',
      'submit',
      'many.jsonl',
      '-t',
      'classify-ticket',
      '--option',
      LOCAL,
      '--no-wait',
    ]);
    expect(submitted.code, submitted.err).toBe(0);
    const id = /^Batch (batch_\S+) accepted: 2000 items\.$/.exec(submitted.out.trim())?.[1];
    expect(id, submitted.out).toBeDefined();
    const cancelled = await run(['batch', 'cancel', id!]);
    expect(cancelled.code, cancelled.err).toBe(0);
    expect(cancelled.out.trim()).toBe(`Batch ${id}: cancelling.`);
    // Watching it now ends with the cancelled batch: exit 1, the summary says so.
    const watched = await run(['batch', 'watch', id!]);
    expect(watched.code).toBe(1);
    expect(lines(watched.out).at(-1)).toMatch(
      new RegExp(
        `^Batch ${id} cancelled: 2000 done of 2000 \\(\\d+ completed, 0 failed, \\d+ cancelled\\)`,
      ),
    );
    const again = await run(['batch', 'cancel', id!]);
    expect(again.code).toBe(2);
    expect(again.err).toBe('keel: 409 Batch ended: The batch has ended (cancelled).\n');
  }, 120_000);

  it('jobs watch: a job held for review prints review.requested, then after the decision job.completed, exit 0; a rejected one exits 1', async () => {
    const start = async (): Promise<string> => {
      const res = await stack.call('/v1/tasks/classify-ticket', {
        method: 'POST',
        body: JSON.stringify({
          input: { subject: 'Refund', body: 'I was charged twice for my plan.' },
          options: { review: 'always', route: ['local:keel-local-1'] },
        }),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { jobId: string }).jobId;
    };
    const decide = (jobId: string, decision: string) =>
      stack.call(`/v1/reviews/${jobId}`, { method: 'POST', body: JSON.stringify({ decision }) });

    const jobId = await start();
    const watch = keel(['jobs', 'watch', jobId]);
    await waitFor('review.requested printed', () => watch.out().includes('review.requested'), {
      timeoutMs: 30_000,
    });
    expect(watch.out()).not.toContain('job.completed');
    expect((await decide(jobId, 'approve')).status).toBe(200);
    expect(await watch.exited).toBe(0);
    const printed = lines(watch.out());
    expect(printed.map((l) => l.split(' ')[0])).toEqual([
      'job.status',
      'review.requested',
      'review.decided',
      'job.completed',
    ]);
    expect(printed[1]).toContain('status=awaiting_review');
    expect(printed[2]).toContain('decision=approve');
    expect(printed[3]).toMatch(/^job\.completed status=completed output=\{"category":"BILLING"/);

    const got = await run(['jobs', 'get', jobId]);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.out)).toMatchObject({ jobId, status: 'completed' });

    const rejected = await start();
    const watchRejected = keel(['jobs', 'watch', rejected]);
    await waitFor('review.requested printed', () => watchRejected.out().includes('review.'), {
      timeoutMs: 30_000,
    });
    expect((await decide(rejected, 'reject')).status).toBe(200);
    expect(await watchRejected.exited).toBe(1);
    expect(lines(watchRejected.out()).at(-1)).toMatch(
      /^job\.failed status=failed error="422 Rejected by a reviewer[^"]*"$/,
    );
  }, 120_000);

  it('a malformed line stops the submission naming the line: exit 2, nothing uploaded', async () => {
    writeFileSync(
      path.join(tmp, 'bad.jsonl'),
      `${JSON.stringify(ticket(1))}\n\n{"subject": "x", body: oops}\n${JSON.stringify(ticket(2))}\n`,
    );
    const key = ['--idempotency-key', `cli-${Date.now()}`];
    const { code, out, err } = await run([
      ...['batch', 'submit', 'bad.jsonl', '-t', 'classify-ticket', ...key],
    ]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(lines(err)).toHaveLength(1);
    expect(err).toMatch(
      /^keel: bad\.jsonl line 3: not valid JSON \(.+\)\. Nothing was submitted\.\n$/,
    );
    // Nothing reached the API: the same key with other items is a first submission, not a conflict.
    writeFileSync(path.join(tmp, 'fixed.jsonl'), `${JSON.stringify(ticket(1))}\n`);
    const fixed = await run([
      ...['batch', 'submit', 'fixed.jsonl', '-t', 'classify-ticket', '--option', LOCAL, ...key],
    ]);
    expect(fixed.code, fixed.err).toBe(0);
    expect(fixed.out).toMatch(/^Batch batch_\S+ accepted: 1 item\.\n/);
  });

  it('refusals are one clear line: no key → 401 (exit 2), an unknown task → 400 naming the field, usage → exit 2', async () => {
    const noKey = await run(['batch', 'status', 'batch_x'], { env: { KEEL_API_KEY: undefined } });
    expect(noKey.code).toBe(2);
    expect(noKey.err).toBe(
      'keel: 401 Unauthorized: Send `Authorization: Bearer <api key>` (or `x-api-key: <api key>`). No API key was sent: set KEEL_API_KEY or pass --key.\n',
    );
    const wrongKey = await run(['jobs', 'get', 'x'], { env: { KEEL_API_KEY: 'wrong' } });
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.err).toMatch(/^keel: 401 Unauthorized: [^\n]+\n$/);
    expect(wrongKey.err).not.toContain('No API key was sent');

    writeFileSync(path.join(tmp, 'one.jsonl'), `${JSON.stringify(ticket(1))}\n`);
    const unknownTask = await run(['batch', 'submit', 'one.jsonl', '-t', 'no-such-task']);
    expect(unknownTask.code).toBe(2);
    expect(unknownTask.err).toBe(
      'keel: 400 Invalid request: There is no task "no-such-task". (task: no task has this name)\n',
    );

    const missing = await run(['batch', 'status', 'batch_00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^keel: 404 Batch not found[^\n]*\n$/);

    const usage = await run(['batch', 'submit', 'one.jsonl']);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain("keel: required option '-t, --task <task>' not specified");

    const closed = await freePort(); // nothing listens there
    const down = await run(['tasks'], { env: { KEEL_URL: `http://127.0.0.1:${closed}` } });
    expect(down.code).toBe(1);
    expect(down.err).toMatch(
      new RegExp(`^keel: cannot reach http://127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED.*\n$`),
    );
    for (const r of [noKey, wrongKey, unknownTask, missing, down])
      expect(r.err).not.toMatch(/\n\s+at /);
  });
});
