import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localActivityOf } from '../support/local-activity';
import { DEFAULT_HEALTH_OPTIONS } from '../../shared/platform/provider-health';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitForWorkerPolling, workerIdentity } from '../support/pollers';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';
import { MOCK_UPSTREAM_CONFIG, startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * The circuit breaker is shared by every worker: three worker processes, one killed after the
 * breaker opens, the other two racing for the half-open probe; the upstream's attempt log proves
 * that no call reaches an open circuit and that exactly one probe does.
 */
const OPEN_MS = 6_000;
let mock: MockUpstream;
let stack: Stack;
let dir: string;
let second: RunningProcess;
let third: RunningProcess;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'keel-breaker-'));
  const shipped = JSON.parse(readFileSync(MOCK_UPSTREAM_CONFIG, 'utf8'));
  const file = path.join(dir, 'keel.config.json');
  writeFileSync(
    file,
    JSON.stringify({ ...shipped, breaker: { minRequests: 4, failureRate: 0.5, openMs: OPEN_MS } }),
  );
  stack = await startStack(upstreamEnv(mock.url, file));
  second = startTs('worker/main.ts', stack.env);
  third = startTs('worker/main.ts', stack.env);
  for (const worker of [second, third])
    await waitForWorkerPolling(worker, inject('temporalAddress'), stack.taskQueue, 120_000);
});
afterAll(async () => {
  await Promise.all([second, third].map((w) => w && stop(w)));
  await stack?.stop();
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = async () => {
  const res = await stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: 'Refund', body: 'I was charged twice' },
      options: { route: ['openai:503', 'anthropic:ok'] },
    }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
};
const callsTo503 = () => mock.attempts().filter((a) => a.model === '503').length;
const health = async () =>
  ((await (await stack.call('/v1/providers')).json()) as any).providers.find(
    (p: any) => p.provider === 'openai' && p.model === '503',
  );

/** Identities of the workers that started the job's callModel activity for provider:model. */
async function workersThatCalled(jobId: string, provider: string, model: string) {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    const history = await new Client({ connection }).workflow.getHandle(jobId).fetchHistory();
    const events = history.events ?? [];
    const calls = new Set(
      events
        .filter((e) => {
          const scheduled = e.activityTaskScheduledEventAttributes;
          const data = scheduled?.input?.payloads?.[0]?.data;
          if (scheduled?.activityType?.name !== 'callModel' || !data) return false;
          const args = JSON.parse(Buffer.from(data).toString()) as {
            provider: string;
            model: string;
          };
          return args.provider === provider && args.model === model;
        })
        .map((e) => String(e.eventId)),
    );
    const regular = events.flatMap((e) => {
      const started = e.activityTaskStartedEventAttributes;
      return started && calls.has(String(started.scheduledEventId)) ? [started.identity ?? ''] : [];
    });
    // A call run as a local activity: its marker is recorded by the worker whose workflow task
    // ran it (the identity on that task's completion). Its failure names the provider and model.
    const local: string[] = [];
    let completedBy = '';
    for (const e of events) {
      const done = e.workflowTaskCompletedEventAttributes;
      if (done) completedBy = done.identity ?? '';
      const marker = e.markerRecordedEventAttributes;
      if (!marker || localActivityOf(marker)?.type !== 'callModel') continue;
      const failure = marker.failure;
      const details = (failure?.applicationFailureInfo?.details?.payloads ?? []).flatMap(
        (p) => JSON.parse(Buffer.from(p.data ?? []).toString()) as unknown,
      ) as Array<{ provider?: string; model?: string } | null>;
      if (
        failure?.message?.includes(`${provider}:${model}`) ||
        details.some((d) => d?.provider === provider && d?.model === model)
      )
        local.push(completedBy);
    }
    return [...regular, ...local];
  } finally {
    await connection.close();
  }
}

describe('shared circuit breaker', () => {
  it('opens after a burst of failures; no worker calls the open circuit; one probe after openMs', async () => {
    // Each request makes two failing calls to 503 (two attempts), then falls back to anthropic:ok.
    const first = await run();
    expect(first.meta).toMatchObject({ path: 'fallback', provider: 'anthropic' });
    await run();
    expect(callsTo503()).toBe(4);
    // Outcomes arrive as batched signals; the entity publishes its state a moment later.
    await waitFor('the breaker to open', async () => (await health()).state === 'open', {
      timeoutMs: 10_000,
    });
    const opened = await health();
    expect(opened).toMatchObject({
      state: 'open',
      stats: { requests: 4, failures: 4, errorRate: 1 },
    });
    expect(opened.transitions).toEqual([
      expect.objectContaining({
        from: 'closed',
        to: 'open',
        reason: 'error rate 100% over 4 calls',
      }),
    ]);

    // Workers reuse a breaker read for viewCacheMs: after that, every worker sees it open.
    await new Promise((r) => setTimeout(r, DEFAULT_HEALTH_OPTIONS.viewCacheMs));

    // The first worker dies; the others, which may never have seen a failure, keep the circuit.
    stack.worker.child.kill('SIGKILL');
    await stack.worker.exited;
    for (let i = 0; i < 4; i += 1) {
      const body = await run();
      expect(body.meta.path).toBe('fallback');
      expect(body.meta.reasons).toEqual(['openai:503 circuit open']);
    }
    expect(callsTo503()).toBe(4);

    // After openMs, two workers race for the probe with concurrent tasks: exactly one probe
    // reaches the upstream; it fails, the circuit opens again.
    await new Promise((r) => setTimeout(r, OPEN_MS + 500));
    const raced = await Promise.all(Array.from({ length: 8 }, () => run()));
    expect(raced.map((b) => b.meta.path)).toEqual(Array(8).fill('fallback'));
    expect(callsTo503()).toBe(5);
    // Both workers asked for the probe (the worker that ran each task's call to openai:503).
    const askers = new Set(
      (await Promise.all(raced.map((b) => workersThatCalled(b.jobId, 'openai', '503')))).flat(),
    );
    expect(askers).toEqual(new Set([workerIdentity(second), workerIdentity(third)]));
    await waitFor(
      'the probe outcome to be published',
      async () => (await health()).transitions.length === 3,
      { timeoutMs: 10_000 },
    );
    const reopened = await health();
    expect(reopened.state).toBe('open');
    expect(reopened.transitions.map((t: any) => `${t.from}>${t.to}`)).toEqual([
      'closed>open',
      'open>half_open',
      'half_open>open',
    ]);
  });
});
