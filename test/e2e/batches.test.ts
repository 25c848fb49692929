import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';
import { MOCK_UPSTREAM_CONFIG, startStack, upstreamEnv, type Stack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';
import { keelQueuesFilter } from '../../shared/platform/task-queues';

/**
 * Batches end to end, with real processes (API, worker, the suite's Temporal dev server, the
 * mock upstream): a 1,000-item JSONL batch on the local model, per-item failures, idempotent
 * submission, cancellation, the event stream, and kill -9 of the worker mid-batch.
 */
let mock: MockUpstream;
let stack: Stack;
const extra: RunningProcess[] = [];
const api = tenantApi(() => stack);
/** The mock's `flap` model is down while this is true (its clock is ours; true at its start). */
let providerDown = true;
const base = Date.now();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'keel-batches-'));

beforeAll(async () => {
  mock = await startMockUpstream({
    port: 0,
    slow: { medianMs: 1_500, p99Ms: 3_000 },
    seed: 11,
    flapPeriodMs: 2_000,
    // Phase 0 of the period (the mock's start) is down, phase 1,000 up: the test decides which.
    now: () => base + (providerDown ? 0 : 1_000),
  });
  providerDown = false;
  // The mock's models, with breakers that probe again after 0.5 s: a provider back up serves
  // the batch's next items at once.
  const config = path.join(tmp, 'keel.json');
  const models = JSON.parse(readFileSync(MOCK_UPSTREAM_CONFIG, 'utf8')) as object;
  writeFileSync(config, JSON.stringify({ ...models, breaker: { openMs: 500 } }));
  stack = await startStack({
    ...upstreamEnv(mock.url, config),
    // Several runs per batch: continue-as-new is part of every test here.
    KEEL_BATCH_ITEMS_PER_RUN: '200',
    KEEL_BATCH_CONCURRENCY: '16',
  });
});
afterAll(async () => {
  await Promise.all(extra.map((p) => stop(p)));
  await stack?.stop();
  await mock?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const ticket = (i: number) => ({ subject: 'Refund', body: `ticket ${i}: I was charged twice` });
const jsonl = (items: unknown[]): string => items.map((i) => JSON.stringify(i)).join('\n');

async function submitJsonl(
  body: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await stack.call(`/v1/batches?${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-ndjson', ...headers },
  });
  return { status: res.status, body: await res.json() };
}

async function batch(id: string): Promise<any> {
  return (await stack.call(`/v1/batches/${id}`)).json();
}

async function ended(id: string, timeoutMs: number): Promise<any> {
  let view: any;
  await waitFor(
    `batch ${id} ended`,
    async () => {
      view = await batch(id);
      return view.status !== 'running';
    },
    { timeoutMs },
  );
  return view;
}

async function results(id: string): Promise<any[]> {
  const res = await stack.call(`/v1/batches/${id}/results`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/x-ndjson');
  return (await res.text())
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** From Temporal: executions per workflow id on this task queue, of a workflow type. */
async function executions(type: string): Promise<Map<string, number>> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    const client = new Client({ connection });
    const runs = new Map<string, number>();
    for await (const w of client.workflow.list({
      query: `${keelQueuesFilter(stack.taskQueue)} AND WorkflowType = '${type}'`,
    }))
      runs.set(w.workflowId, (runs.get(w.workflowId) ?? 0) + 1);
    return runs;
  } finally {
    await connection.close();
  }
}

/** The SSE stream of a batch, read to its end: each event's name and data. */
async function readEvents(id: string): Promise<Array<{ event: string; data: any }>> {
  const res = await stack.call(`/v1/batches/${id}/events`);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text(); // the stream closes after batch.completed
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: '))
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)![1]!,
      data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!),
    }));
}

describe('batches', () => {
  it('a 1,000-item JSONL batch on the local model: every item exactly once, in order, with its job; bad lines reported per item', async () => {
    const items: unknown[] = Array.from({ length: 1_000 }, (_, i) => ticket(i));
    // Line 501 is not JSON and line 502 misses the body: both reported, neither runs.
    const body = `${jsonl(items.slice(0, 500))}\n{not json\n${JSON.stringify({ subject: 'x' })}\n${jsonl(items.slice(500))}\n`;
    const accepted = await submitJsonl(body, 'task=classify-ticket&route=local:keel-local-1');
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect(accepted.body).toMatchObject({ items: 1_002, invalid: 2, status: 'running' });
    expect(accepted.body.errors).toEqual([
      { field: 'line 501: (line)', message: 'not valid JSON' },
      { field: 'line 502: body', message: expect.any(String) },
    ]);
    const id: string = accepted.body.batchId;
    const events = readEvents(id);

    const view = await ended(id, 240_000);
    expect(view).toMatchObject({
      status: 'completed',
      items: 1_002,
      counts: { pending: 0, running: 0, completed: 1_000, failed: 2, cancelled: 0 },
    });
    expect(view.etaSeconds).toBeUndefined();
    expect(view.itemsPerSecond).toBeGreaterThan(0);

    const lines = await results(id);
    expect(lines.map((l) => l.index)).toEqual(Array.from({ length: 1_002 }, (_, i) => i));
    expect(new Set(lines.map((l) => l.jobId)).size).toBe(1_002);
    const [bad, partial] = [lines[500], lines[501]];
    expect(bad).toMatchObject({ status: 'failed', problem: { status: 400 } });
    expect(bad.problem.type).toMatch(/malformed-json$/);
    expect(partial.problem).toMatchObject({ status: 400, errors: [{ field: 'body' }] });
    const ran = lines.filter((_, i) => i !== 500 && i !== 501);
    expect(ran.every((l) => l.status === 'completed')).toBe(true);
    expect(ran.map((l) => l.output.category)).toEqual(Array(1_000).fill('BILLING'));

    // Each item is a job of its own, read like any other; none ran twice.
    const job = await (await stack.call(`/v1/jobs/${ran[0].jobId}`)).json();
    expect(job).toMatchObject({ status: 'completed', output: ran[0].output });
    const runs = await executions('runTask');
    expect(ran.map((l) => runs.get(l.jobId))).toEqual(Array(1_000).fill(1));
    // The parent continued as new (200 items a run): one workflow id, several runs.
    expect((await executions('runBatch')).get(id)).toBeGreaterThanOrEqual(5);

    // The stream: the state first, progress as it went, the end with the whole batch.
    const seen = await events;
    expect(seen[0]?.event).toBe('batch.status');
    expect(seen.some((e) => e.event === 'batch.progress')).toBe(true);
    expect(seen.at(-1)).toMatchObject({
      event: 'batch.completed',
      data: { batchId: id, status: 'completed', counts: { completed: 1_000 } },
    });
  }, 300_000);

  it('items whose provider is down fail alone: the batch completes, each failure with its problem', async () => {
    providerDown = true;
    const accepted = await stack.call('/v1/batches', {
      method: 'POST',
      body: JSON.stringify({
        task: 'classify-ticket',
        options: { route: ['openai:flap'], allowDegraded: false },
        items: Array.from({ length: 300 }, (_, i) => ticket(i)),
      }),
    });
    expect(accepted.status).toBe(202);
    const { batchId } = (await accepted.json()) as { batchId: string };
    await waitFor('some items failed', async () => (await batch(batchId)).counts.failed >= 5, {
      timeoutMs: 60_000,
    });
    providerDown = false;
    const view = await ended(batchId, 120_000);
    expect(view.status).toBe('completed');
    expect(view.counts.failed).toBeGreaterThanOrEqual(5);
    expect(view.counts.completed).toBeGreaterThan(0);
    expect(view.counts.completed + view.counts.failed).toBe(300);
    const lines = await results(batchId);
    for (const l of lines) {
      if (l.status === 'completed') expect(l.output.category).toBe('BILLING');
      else expect(l.problem.type).toMatch(/all-candidates-failed$/);
    }
  }, 180_000);

  it('Idempotency-Key: a retry returns the same batch; another body with the key is refused', async () => {
    const body = jsonl([ticket(1), ticket(2)]);
    const key = { 'idempotency-key': `batch-${Date.now()}` };
    const first = await submitJsonl(body, 'task=classify-ticket', key);
    const again = await submitJsonl(body, 'task=classify-ticket', key);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.batchId).toBe(first.body.batchId);
    const other = await submitJsonl(jsonl([ticket(3)]), 'task=classify-ticket', key);
    expect(other.status).toBe(422);
    expect(other.body.type).toMatch(/idempotency-key-reused$/);
    await ended(first.body.batchId, 60_000);
    expect((await results(first.body.batchId)).length).toBe(2);
    expect((await executions('runBatch')).get(first.body.batchId)).toBe(1);
  });

  it('refusals name the field: unknown task, too many items, no valid item, a task outside the plan', async () => {
    const post = async (body: unknown, key?: string) => {
      const res = await stack.call('/v1/batches', {
        method: 'POST',
        body: JSON.stringify(body),
        ...(key ? { headers: { authorization: `Bearer ${key}` }, auth: false } : {}),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const unknown = await post({ task: 'nope', items: [ticket(1)] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ field: 'task', message: expect.any(String) }]);

    const many = await post({ task: 'classify-ticket', items: Array(1_001).fill(ticket(1)) });
    expect(many.status).toBe(413);
    expect(many.body).toMatchObject({ limit: 1_000, errors: [{ field: 'items' }] });

    const none = await post({ task: 'classify-ticket', items: [{ subject: 1 }, {}] });
    expect(none.status).toBe(400);
    expect(none.body.errors.map((e: any) => e.field)).toContain('items[1].body');

    const freeKey = await api.tenant(`free-${Date.now()}`, 'free');
    const outside = await post({ task: 'extract-invoice', items: [{ text: 'x' }] }, freeKey);
    expect(outside.status).toBe(403);
    expect(outside.body.type).toMatch(/task-not-in-plan$/);

    const missing = await stack.call('/v1/batches/batch_00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
  });

  it('cancel: running items are cancelled, the rest never start, the batch ends cancelled', async () => {
    const accepted = await submitJsonl(
      jsonl(Array.from({ length: 300 }, (_, i) => ticket(i))),
      'task=classify-ticket&route=openai:slow&allowDegraded=false',
    );
    const id: string = accepted.body.batchId;
    await waitFor('items completed', async () => (await batch(id)).counts.completed >= 20, {
      timeoutMs: 60_000,
    });
    const cancel = await stack.call(`/v1/batches/${id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    const view = await ended(id, 60_000);
    expect(view.status).toBe('cancelled');
    expect(view.counts).toMatchObject({ pending: 0, running: 0 });
    expect(view.counts.cancelled).toBeGreaterThan(200);
    expect(view.counts.completed + view.counts.failed + view.counts.cancelled).toBe(300);

    const lines = await results(id);
    // No item's job still runs: a cancelled one was cancelled or never started.
    for (const l of lines.filter((x) => x.status === 'cancelled').slice(0, 40)) {
      const job = await stack.call(`/v1/jobs/${l.jobId}`);
      if (job.status === 200) expect(((await job.json()) as any).status).toBe('cancelled');
      else expect(job.status).toBe(404);
    }
    const again = await stack.call(`/v1/batches/${id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).batchStatus).toBe('cancelled');
  }, 120_000);

  it('kill -9 of the worker mid-batch: a new worker finishes it, every item exactly once', async () => {
    const n = 150;
    const accepted = await submitJsonl(
      jsonl(Array.from({ length: n }, (_, i) => ticket(i))),
      'task=classify-ticket&route=openai:slow',
    );
    const id: string = accepted.body.batchId;
    await waitFor('items completed', async () => (await batch(id)).counts.completed >= 20, {
      timeoutMs: 60_000,
    });
    stack.worker.child.kill('SIGKILL');
    await stack.worker.exited;
    const replacement = startTs('worker/main.ts', stack.env);
    extra.push(replacement);

    const view = await ended(id, 180_000);
    expect(view).toMatchObject({ status: 'completed', counts: { completed: n, failed: 0 } });
    const lines = await results(id);
    expect(lines.map((l) => l.index)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(lines.map((l) => l.output.category)).toEqual(Array(n).fill('BILLING'));
    const runs = await executions('runTask');
    expect(lines.map((l) => runs.get(l.jobId))).toEqual(Array(n).fill(1));
  }, 240_000);
});
