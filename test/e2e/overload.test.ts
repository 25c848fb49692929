import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { startStack, upstreamEnv, type Stack } from '../support/stack';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

/**
 * Load shedding: at most KEEL_MAX_INFLIGHT_TASKS tasks run at once, whether their callers wait or
 * got a 202; the next one is refused at once with a 503 problem and Retry-After, instead of
 * queueing into a timeout. The worker and the API reach Temporal through a relay the test can
 * stall, to show that no refusal waits for Temporal.
 */
let mock: MockUpstream;
let proxy: TcpProxy;
let stack: Stack;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, latencyMs: 1_500 });
  proxy = await startTcpProxy(inject('temporalAddress'));
  stack = await startStack({
    ...upstreamEnv(mock.url),
    KEEL_MAX_INFLIGHT_TASKS: '2',
    TEMPORAL_ADDRESS: proxy.address,
  });
});
afterAll(async () => {
  await stack?.stop();
  await proxy?.cut();
  await mock?.close();
});

const post = (n: number, options: { maxSyncMs?: number } = {}) =>
  stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: 'Refund', body: `charged twice, order ${n}` },
      options: { route: ['openai:ok'], ...options },
    }),
  });

const completed = (jobId: string) =>
  waitFor(
    `${jobId} completed`,
    async () => {
      const job = (await (await stack.call(`/v1/jobs/${jobId}`)).json()) as { status: string };
      return job.status === 'completed';
    },
    { timeoutMs: 30_000 },
  );

describe('KEEL_MAX_INFLIGHT_TASKS', () => {
  it('refuses what is over the limit at once, runs the rest, and admits again after', async () => {
    const responses = await Promise.all([0, 1, 2, 3, 4].map((n) => post(n)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503, 503]);
    const refused = responses.find((r) => r.status === 503)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ status: 503, limit: 2 });
    // Only the admitted tasks reached the upstream.
    expect(mock.attempts()).toHaveLength(2);
    expect((await post(5)).status).toBe(200);
  });

  // Runs before the 202 test: every slot here is freed by a sync caller seeing its task finish.
  it('refuses at once while Temporal does not answer: a refusal never waits for a listing', async () => {
    const before = mock.attempts().length;
    const running = [20, 21].map((n) => post(n));
    await waitFor('both tasks at the upstream', () => mock.attempts().length - before >= 2, {
      timeoutMs: 30_000,
    });
    proxy.stall(); // Temporal hangs: no listing, start or result gets through
    let refused: Response;
    try {
      // Past the listing's refresh bound (500 ms): a refusal that listed first would hang here.
      await new Promise((resolve) => setTimeout(resolve, 600));
      refused = await post(22);
    } finally {
      proxy.resume();
    }
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await refused.json()).toMatchObject({ type: expect.stringContaining('overloaded') });
    // Nothing was lost while it hung: both admitted tasks answer.
    expect((await Promise.all(running)).map((r) => r.status)).toEqual([200, 200]);
    expect(mock.attempts().length - before).toBe(2);
  });

  it('counts tasks answered 202 (maxSyncMs: 0): an async flood is refused beyond the limit, and slots come back when tasks finish', async () => {
    const before = mock.attempts().length;
    const responses = await Promise.all([10, 11, 12, 13, 14].map((n) => post(n, { maxSyncMs: 0 })));
    expect(responses.map((r) => r.status).sort()).toEqual([202, 202, 503, 503, 503]);
    const refused = responses.find((r) => r.status === 503)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({
      type: expect.stringContaining('overloaded'),
      status: 503,
      limit: 2,
    });
    const accepted = responses.filter((r) => r.status === 202);
    const jobIds = await Promise.all(
      accepted.map(async (r) => ((await r.json()) as { jobId: string }).jobId),
    );

    // While both run, a retry is refused too: nothing queues behind them.
    expect((await post(15, { maxSyncMs: 0 })).status).toBe(503);
    await Promise.all(jobIds.map(completed));

    // Both finished: a slot is free again (each refusal meanwhile started nothing).
    let again: Response | undefined;
    await waitFor(
      'a slot free again',
      async () => (again = await post(16, { maxSyncMs: 0 })).status === 202,
      { timeoutMs: 20_000 },
    );
    await completed(((await again!.json()) as { jobId: string }).jobId);
    expect(mock.attempts().length - before).toBe(3);
  });
});
