import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type Attempt, type MockUpstream } from '../mock-upstream';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';
import {
  startEmbeddedStack,
  startStack,
  upstreamEnv,
  type EmbeddedStack,
  type Stack,
} from '../support/stack';

/**
 * Graceful shutdown with real processes (shared/platform/shutdown.ts): SIGTERM a worker or the API
 * with its embedded worker while model calls are in flight on a slow upstream. The upstream's
 * attempt log says how often each task reached the model; the jobs say whether anything was lost.
 */
const CALL_MS = 4_000; // every call of the `slow` model takes exactly this long (median = p99)
let mock: MockUpstream;
const running: Array<RunningProcess | Stack | EmbeddedStack> = [];

beforeAll(async () => {
  mock = await startMockUpstream({
    port: 0,
    slow: { medianMs: CALL_MS, p99Ms: CALL_MS },
    seed: 7,
  });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => ('stop' in p ? p.stop() : stop(p))));
});
afterAll(async () => {
  await mock?.close();
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...upstreamEnv(mock.url),
  LOG_LEVEL: 'info',
  ...extra,
});
const track = <T extends RunningProcess | Stack | EmbeddedStack>(p: T): T => {
  running.push(p);
  return p;
};

const ticket = (marker: string) => ({
  input: { subject: 'Refund', body: `${marker}: I was charged twice for my subscription` },
  options: { route: ['openai:slow'], maxSyncMs: 0 },
});

async function submit(stack: Pick<Stack, 'call'>, markers: string[]): Promise<string[]> {
  return Promise.all(
    markers.map(async (m) => {
      const res = await stack.call('/v1/tasks/classify-ticket', {
        method: 'POST',
        body: JSON.stringify(ticket(m)),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { jobId: string }).jobId;
    }),
  );
}

const callsFor = (marker: string): Attempt[] =>
  mock.attempts().filter((a) => JSON.stringify(a.request).includes(marker));
const inFlight = (a: Attempt): boolean => a.status === 0 && a.closedBy === undefined;
const markersOf = (test: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${test} ticket ${i} `);

async function untilCallsInFlight(markers: string[]): Promise<void> {
  await waitFor('every call in flight', () => markers.every((m) => callsFor(m).some(inFlight)), {
    timeoutMs: 30_000,
  });
}

async function allCompleted(stack: Pick<Stack, 'call'>, ids: string[]): Promise<any[]> {
  let jobs: any[] = [];
  await waitFor(
    'every job completed',
    async () => {
      jobs = await Promise.all(ids.map(async (id) => (await stack.call(`/v1/jobs/${id}`)).json()));
      return jobs.every((j) => j.status === 'completed');
    },
    { timeoutMs: 90_000 },
  );
  // Each from the model it was routed to, not the deterministic fallback.
  for (const j of jobs) expect(j.meta, j.jobId).toMatchObject({ path: 'primary', reasons: [] });
  return jobs;
}

/** Exit code, or 128 + signal number when a signal ended it (as a shell reports it). */
async function exitOf(p: RunningProcess): Promise<number | string> {
  const code = await p.exited;
  return code ?? String(p.child.signalCode);
}

describe('graceful shutdown of a worker process (npm run worker)', () => {
  it('SIGTERM with calls in flight: the worker finishes them, exits 0, and no call is made twice', async () => {
    const stack = track(await startStack(env()));
    const markers = markersOf('drain', 6);
    const ids = await submit(stack, markers);
    await untilCallsInFlight(markers);

    stack.worker.child.kill('SIGTERM');
    expect(await exitOf(stack.worker)).toBe(0);
    const log = stack.worker.output();
    expect(log).toContain('shutting down: taking no new work');
    expect(log).toContain('drained: stopped with nothing in flight');
    expect(log).not.toContain('grace period over');
    // Every call had its answer before the worker left.
    for (const m of markers)
      expect(
        callsFor(m).map((a) => a.status),
        m,
      ).toEqual([200]);

    // The operator's restart: whatever the draining worker left to do, a new one finishes.
    track(startTs('worker/main.ts', stack.env));
    await allCompleted(stack, ids);
    for (const m of markers)
      expect(
        callsFor(m).map((a) => a.status),
        m,
      ).toEqual([200]);
  });

  it('a grace shorter than the calls: the worker exits 0 after it, and a new worker completes every job (the interrupted calls are made again)', async () => {
    const graceMs = 1_000;
    const stack = track(await startStack(env({ KEEL_SHUTDOWN_GRACE_MS: String(graceMs) })));
    const markers = markersOf('short-grace', 6);
    const ids = await submit(stack, markers);
    await untilCallsInFlight(markers);

    stack.worker.child.kill('SIGTERM');
    expect(await exitOf(stack.worker)).toBe(0);
    const log = stack.worker.output();
    expect(log).toContain('shutting down: taking no new work');
    expect(log).toContain('grace period over');
    // None of the 4 s calls could finish within 1 s: each was cut off when the worker left.
    for (const m of markers)
      expect(
        callsFor(m).some((a) => a.status === 200),
        m,
      ).toBe(false);

    track(startTs('worker/main.ts', stack.env));
    await allCompleted(stack, ids);
    // Nothing lost: each task reached the model once more, and that call answered.
    const calls = markers.map((m) => callsFor(m).map((a) => a.status));
    for (const [i, statuses] of calls.entries()) {
      expect(statuses.length, markers[i]).toBe(2);
      expect(
        statuses.filter((s) => s === 200),
        markers[i],
      ).toEqual([200]);
    }
  });

  it('a second SIGTERM during the drain forces the exit (143); a new worker completes every job', async () => {
    const stack = track(await startStack(env()));
    const markers = markersOf('forced', 6);
    const ids = await submit(stack, markers);
    await untilCallsInFlight(markers);

    stack.worker.child.kill('SIGTERM');
    await waitFor('the drain started', () => stack.worker.output().includes('shutting down'), {
      timeoutMs: 10_000,
    });
    stack.worker.child.kill('SIGTERM');
    // 128 + SIGTERM's 15: what a shell and a supervisor read as "ended by SIGTERM".
    expect(await exitOf(stack.worker)).toBe(143);
    expect(stack.worker.output()).toContain('forced: exiting at once');
    for (const m of markers)
      expect(
        callsFor(m).some((a) => a.status === 200),
        m,
      ).toBe(false);

    track(startTs('worker/main.ts', stack.env));
    await allCompleted(stack, ids);
    for (const m of markers) {
      const statuses = callsFor(m).map((a) => a.status);
      expect(
        statuses.filter((s) => s === 200),
        m,
      ).toEqual([200]);
      expect(statuses.length, m).toBe(2);
    }
  });
});

describe('graceful shutdown of the API with its embedded worker (npm start)', () => {
  const syncCall = (stack: EmbeddedStack, marker: string): Promise<Response> =>
    stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({ ...ticket(marker), options: { route: ['openai:slow'] } }),
    });

  it('SIGTERM with a sync request in flight: the caller gets its answer, then the API exits 0', async () => {
    const stack = track(await startEmbeddedStack(env()));
    // Before: a sync budget shorter than the call ends the wait with 202, on the embedded
    // worker's connection too (it ignores abort signals; the wait must not).
    const budget = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({
        ...ticket('api-budget ticket '),
        options: { route: ['openai:slow'], maxSyncMs: 1_000 },
      }),
    });
    expect(budget.status).toBe(202);

    const marker = 'api-drain ticket ';
    const answer = syncCall(stack, marker);
    await untilCallsInFlight([marker]);

    stack.server.child.kill('SIGTERM');
    const res = await answer;
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).output.category).toBe('BILLING');
    expect(await exitOf(stack.server)).toBe(0);
    expect(stack.server.output()).toContain('drained: stopped with nothing in flight');
    // It stopped listening: a new caller is refused, not left waiting.
    await expect(fetch(`${stack.baseUrl}/healthz`)).rejects.toThrow();
    expect(callsFor(marker).map((a) => a.status)).toEqual([200]);
  });

  it('a grace shorter than the call: the caller gets 202 and its job id at the grace; the job completes once Keel runs again', async () => {
    const stack = track(await startEmbeddedStack(env({ KEEL_SHUTDOWN_GRACE_MS: '1000' })));
    const marker = 'api-short-grace ticket ';
    const answer = syncCall(stack, marker);
    await untilCallsInFlight([marker]);

    stack.server.child.kill('SIGTERM');
    const res = await answer;
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    expect(await exitOf(stack.server)).toBe(0);
    expect(stack.server.output()).toContain('grace period over');

    const restarted = track(startTs('server/main.ts', stack.env));
    await waitFor('API ready again', async () => (await fetch(`${stack.baseUrl}/readyz`)).ok, {
      timeoutMs: 90_000,
      process: restarted,
    });
    const [job] = await allCompleted(stack, [jobId]);
    expect(job.output.category).toBe('BILLING');
    // The call cut off by the exit, then the one that answered.
    expect(callsFor(marker).map((a) => a.status)).toEqual([0, 200]);
  });
});
