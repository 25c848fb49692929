import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localActivityOf } from '../support/local-activity';
import { startDevServer } from '../../temporal/dev-server';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { freePort } from '../support/free-port';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';
import { startEmbeddedStack, startStack, upstreamEnv, type Stack } from '../support/stack';
import { keelQueuesFilter } from '../../shared/platform/task-queues';

/**
 * Durability under failure, with real processes: kill -9 the worker with tasks in flight, and
 * kill -9 the API server. The upstream's attempt log says how often each task reached a model.
 */
let mock: MockUpstream;
let stack: Stack;
const extra: RunningProcess[] = [];

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 2_000, p99Ms: 4_000 }, seed: 7 });
  stack = await startStack({
    ...upstreamEnv(mock.url),
    // The tasks are async (`maxSyncMs: 0`), so they run on the background queue; its worker gets
    // as many slots as the foreground one so that 100 of them are in flight when it is killed.
    KEEL_WORKER_BACKGROUND_WORKFLOW_TASKS: '100',
    KEEL_WORKER_BACKGROUND_LOCAL_ACTIVITIES: '100',
  });
});
afterAll(async () => {
  await Promise.all(extra.map((p) => stop(p)));
  await stack?.stop();
  await mock?.close();
});

const marker = (i: number): string => `ticket number ${i} `;
const submit = async (i: number): Promise<string> => {
  const res = await stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: 'Refund', body: `${marker(i)}: I was charged twice for my subscription` },
      options: { route: ['openai:slow'], maxSyncMs: 0 },
    }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobId: string }).jobId;
};
const callsFor = (i: number) =>
  mock.attempts().filter((a) => JSON.stringify(a.request).includes(marker(i)));

async function allCompleted(
  jobIds: string[],
  timeoutMs: number,
  via: Pick<Stack, 'call'> = stack,
): Promise<any[]> {
  let jobs: any[] = [];
  await waitFor(
    'every job completed',
    async () => {
      jobs = await Promise.all(jobIds.map(async (id) => (await via.call(`/v1/jobs/${id}`)).json()));
      return jobs.every((j) => j.status === 'completed');
    },
    { timeoutMs },
  );
  return jobs;
}

/**
 * From Temporal itself: how many runTask executions each job id has on this task queue, and per
 * job how many callModel calls completed (regular activities and local activities' markers).
 */
async function inTemporal(
  ids: string[],
  taskQueue = stack.taskQueue,
): Promise<{ executions: Map<string, number>; completedCalls: number[] }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection });
  try {
    const executions = new Map<string, number>();
    for await (const w of client.workflow.list({
      query: `${keelQueuesFilter(taskQueue)} AND WorkflowType = 'runTask'`,
    }))
      executions.set(w.workflowId, (executions.get(w.workflowId) ?? 0) + 1);
    const completedCalls = await Promise.all(
      ids.map(async (id) => {
        const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
        const calls = new Set(
          events
            .filter(
              (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel',
            )
            .map((e) => String(e.eventId)),
        );
        const activities = events.filter((e) =>
          calls.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
        ).length;
        // A call that ran as a local activity: its marker, recorded once it succeeded.
        const local = events.filter((e) => {
          const marker = e.markerRecordedEventAttributes;
          return !marker?.failure && localActivityOf(marker)?.type === 'callModel';
        }).length;
        return activities + local;
      }),
    );
    return { executions, completedCalls };
  } finally {
    await connection.close();
  }
}

describe('chaos', () => {
  it('kill -9 of the worker with 100 tasks in flight: a new worker completes all 100, no call repeated beyond the retry policy', async () => {
    mock.clearAttempts();
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => submit(i)));
    await waitFor(
      'calls in flight',
      () => mock.attempts().filter((a) => a.status === 0).length >= 30,
      // A bound, not a goal: on a loaded 2-core machine 100 starts can take a while.
      { timeoutMs: 90_000 },
    );

    stack.worker.child.kill('SIGKILL');
    await stack.worker.exited;
    const atKill = new Map(
      Array.from({ length: 100 }, (_, i) => [i, callsFor(i).map((a) => a.status)]),
    );
    const replacement = startTs('worker/main.ts', stack.env);
    extra.push(replacement);

    const jobs = await allCompleted(ids, 150_000);
    // Every task got its answer from the model it was routed to: none degraded to the local
    // fallback (which would also give a valid category).
    for (const j of jobs)
      expect(j.meta, j.jobId).toMatchObject({ path: 'primary', provider: 'openai', reasons: [] });
    expect(jobs.map((j) => j.output.category)).toEqual(Array(100).fill('BILLING'));

    // Exactly one result per accepted job: one workflow execution per job id, and one model call
    // whose result the workflow accepted (a call cut off by the kill is recorded as failed).
    const { executions, completedCalls } = await inTemporal(ids);
    expect(ids.map((id) => executions.get(id) ?? 0)).toEqual(Array(100).fill(1));
    expect(completedCalls).toEqual(Array(100).fill(1));

    let repeated = 0;
    for (let i = 0; i < 100; i += 1) {
      const calls = callsFor(i);
      const before = atKill.get(i) ?? [];
      // The retry policy allows two attempts per candidate: never more calls than that.
      expect(calls.length, `task ${i}`).toBeLessThanOrEqual(2);
      // A task that had not reached the model when the worker died reaches it exactly once.
      if (before.length === 0) expect(calls.length, `task ${i}`).toBe(1);
      if (calls.length > 1) repeated += 1;
    }
    // Only calls cut off by the kill were repeated.
    const cutOff = [...atKill.values()].filter((s) => s.length > 0).length;
    expect(repeated).toBeLessThanOrEqual(cutOff);
  });

  it('kill -9 of the API server mid-flight: callers recover through GET /v1/jobs/{id} on a new server', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(1000 + i)));
    stack.server.child.kill('SIGKILL');
    await stack.server.exited;
    const server = startTs('server/main.ts', stack.env);
    extra.push(server);
    await waitFor('new API ready', async () => (await fetch(`${stack.baseUrl}/readyz`)).ok, {
      timeoutMs: 60_000,
      process: server,
    });
    const jobs = await allCompleted(ids, 60_000);
    expect(jobs.map((j) => j.status)).toEqual(Array(10).fill('completed'));
  });
});

describe('chaos, the default deployment (worker inside the API process)', () => {
  it('kill -9 of the API with its embedded worker mid-call: a worker process and the restarted API finish every task once', async () => {
    const embedded = await startEmbeddedStack(upstreamEnv(mock.url));
    // Scale-out beside the embedded worker: a worker process on the same task queue.
    const helper = startTs('worker/main.ts', embedded.env);
    extra.push(helper);
    let restarted: RunningProcess | undefined;
    try {
      const submitTo = async (i: number): Promise<string> => {
        const res = await embedded.call('/v1/tasks/classify-ticket', {
          method: 'POST',
          body: JSON.stringify({
            input: { subject: 'Refund', body: `${marker(i)}: I was charged twice` },
            options: { route: ['openai:slow'], maxSyncMs: 0 },
          }),
        });
        expect(res.status).toBe(202);
        return ((await res.json()) as { jobId: string }).jobId;
      };
      const n = 20;
      const ids = await Promise.all(Array.from({ length: n }, (_, i) => submitTo(5000 + i)));
      await waitFor(
        'calls in flight',
        () =>
          Array.from({ length: n }, (_, i) => callsFor(5000 + i))
            .flat()
            .filter((a) => a.status === 0).length >= 5,
        { timeoutMs: 30_000 },
      );
      embedded.server.child.kill('SIGKILL');
      await embedded.server.exited;
      const atKill = new Map(
        Array.from({ length: n }, (_, i) => [i, callsFor(5000 + i).map((a) => a.status)]),
      );
      restarted = startTs('server/main.ts', embedded.env);
      extra.push(restarted);
      await waitFor('API back', async () => (await fetch(`${embedded.baseUrl}/readyz`)).ok, {
        timeoutMs: 90_000,
        process: restarted,
      });
      const jobs = await allCompleted(ids, 150_000, embedded);
      for (const j of jobs)
        expect(j.meta, j.jobId).toMatchObject({ path: 'primary', provider: 'openai', reasons: [] });

      // One execution and one accepted model call per job; only calls the kill cut off repeat.
      const { executions, completedCalls } = await inTemporal(ids, embedded.taskQueue);
      expect(ids.map((id) => executions.get(id) ?? 0)).toEqual(Array(n).fill(1));
      expect(completedCalls).toEqual(Array(n).fill(1));
      for (let i = 0; i < n; i += 1) {
        const calls = callsFor(5000 + i);
        expect(calls.length, `task ${i}`).toBeLessThanOrEqual(2);
        if ((atKill.get(i) ?? []).length === 0) expect(calls.length, `task ${i}`).toBe(1);
      }
    } finally {
      await stop(helper);
      if (restarted) await stop(restarted);
      await embedded.stop().catch(() => undefined);
    }
  });
});

describe('graceful stop', () => {
  it('SIGTERM drains the worker: calls in flight finish and are not repeated by the next worker', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => submit(3000 + i)));
    await waitFor(
      'calls in flight',
      () =>
        mock
          .attempts()
          .filter((a) => a.status === 0 && JSON.stringify(a.request).includes('ticket number 300'))
          .length >= 3,
      { timeoutMs: 30_000 },
    );
    const current =
      extra.find(
        (p) =>
          p.child.exitCode === null && p.child.spawnargs.some((a) => a.endsWith('worker/main.ts')),
      ) ?? stack.worker;
    expect(await stop(current, 'SIGTERM')).toBe(0);
    // Drained, not cancelled: every call that was in flight got its answer.
    for (let i = 0; i < 5; i += 1)
      expect(callsFor(3000 + i).every((a) => a.status === 200)).toBe(true);
    const next = startTs('worker/main.ts', stack.env);
    extra.push(next);
    await allCompleted(ids, 60_000);
    for (let i = 0; i < 5; i += 1) expect(callsFor(3000 + i), `task ${3000 + i}`).toHaveLength(1);
  });
});

describe('Temporal restart', () => {
  it('stopping and restarting the dev server (SQLite file) mid-flight loses no task', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-restart-'));
    const port = await freePort();
    const options = {
      cliPath: inject('temporalCliPath'),
      port,
      dbFile: path.join(dir, 'temporal.db'),
    };
    let temporal = await startDevServer(options);
    const connection = await Connection.connect({ address: temporal.address });
    await ensureSearchAttributes(connection, 'default');
    await connection.close();
    const own = await startStack({ ...upstreamEnv(mock.url), TEMPORAL_ADDRESS: temporal.address });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 10; i += 1) {
        const res = await own.call('/v1/tasks/classify-ticket', {
          method: 'POST',
          body: JSON.stringify({
            input: { subject: 'Refund', body: `${marker(2000 + i)}: charged twice` },
            options: { route: ['openai:slow'], maxSyncMs: 0 },
          }),
        });
        expect(res.status).toBe(202);
        ids.push(((await res.json()) as { jobId: string }).jobId);
      }
      // A task waiting for a reviewer: its wait (a durable timer) survives the restart too.
      const review = await own.call('/v1/tasks/classify-ticket', {
        method: 'POST',
        body: JSON.stringify({
          input: { subject: 'Refund', body: 'charged twice, please review' },
          options: { review: 'always' },
        }),
      });
      expect(review.status).toBe(202);
      const reviewId = ((await review.json()) as { jobId: string }).jobId;

      await temporal.stop();
      temporal = await startDevServer(options);
      const jobs = await allCompleted(ids, 120_000, own);
      expect(jobs.map((j) => j.jobId)).toEqual(ids);

      await waitFor(
        'the review is still pending after the restart',
        async () => {
          const res = await own.call(`/v1/jobs/${reviewId}`);
          return res.ok && ((await res.json()) as { status: string }).status === 'awaiting_review';
        },
        { timeoutMs: 30_000 },
      );
      const approved = await own.call(`/v1/reviews/${reviewId}`, {
        method: 'POST',
        body: JSON.stringify({ decision: 'approve' }),
      });
      expect(approved.status).toBe(200);
      const [done] = await allCompleted([reviewId], 30_000, own);
      expect(done?.meta?.path).toBe('review');
    } finally {
      await own.stop();
      await temporal.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
