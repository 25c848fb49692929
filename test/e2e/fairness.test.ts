import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { startStack, upstreamEnv, type Stack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';
import { keelQueuesFilter } from '../../shared/platform/task-queues';

/**
 * Fairness on shared workers: tenant A floods Keel with async tasks (`maxSyncMs: 0`) on a slow
 * model, far more than the worker runs at once. Two mechanisms keep the others going
 * (docs/fairness.md):
 *
 * - **The background queue**: A's tasks run on it, behind its worker's own slots, so tenant B's
 *   sync requests (on the task queue) complete with 200 within their sync budget while A's backlog
 *   is still large.
 * - **Fairness keys within a queue**: tenant C's async tasks, submitted behind A's whole backlog on
 *   the same background queue, complete while most of A's still wait: the server dispatches the
 *   waiting tasks tenant by tenant, not first come, first served. Without `matching.enableFairness`
 *   (or without the fairness key) C's would wait for A's backlog to drain.
 *
 * Load shedding is off (KEEL_MAX_INFLIGHT_TASKS=0) so that A's whole burst reaches Temporal; the
 * tenants are on the `unlimited` plan (same priority, no limits). Timing goals are in
 * bench/fairness.ts.
 */
const FLOOD = 1_000;
/** Submissions of A's burst in flight at once. */
const SUBMITTERS = 16;
const B_REQUESTS = 5;
const C_TASKS = 3;

let mock: MockUpstream;
let stack: Stack;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  // A's model answers in about 1 s: one worker (100 activity slots) drains at most ~100 a second.
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 1_000, p99Ms: 1_300 } });
  stack = await startStack({ ...upstreamEnv(mock.url), KEEL_MAX_INFLIGHT_TASKS: '0' });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await connection?.close();
  await mock?.close();
});

const { call, tenant } = tenantApi(() => stack);
/** A tenant on the `unlimited` plan and a caller key for it (the demo key is the operator). */
const newTenant = (id: string): Promise<string> => tenant(id, 'unlimited');

const classify = (key: string, n: number, options: object) =>
  call(
    'POST',
    '/v1/tasks/classify-ticket',
    { input: { subject: 'Refund', body: `charged twice, order ${n}` }, options },
    key,
  );

/** A's tasks not finished yet, as Temporal's visibility lists them. */
const backlogOf = (tenant: string): Promise<number> =>
  client.workflow
    .count(
      `${keelQueuesFilter(stack.taskQueue)} AND KeelTenant = '${tenant}' AND ExecutionStatus = 'Running'`,
    )
    .then((c) => c.count);

/** Up to `max` of a tenant's job ids. */
async function idsOf(tenant: string, max: number): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({
    query: `${keelQueuesFilter(stack.taskQueue)} AND KeelTenant = '${tenant}'`,
  })) {
    ids.push(wf.workflowId);
    if (ids.length >= max) break;
  }
  return ids;
}

describe('fairness between tenants on shared workers', () => {
  it("answers B's sync requests and runs C's async tasks while A's burst is still queued", async () => {
    const keyA = await newTenant('flood-a');
    const keyB = await newTenant('steady-b');
    const idle = await classify(keyB, -1, { route: ['openai:ok'] });
    expect(idle.status).toBe(200);

    // A's burst: every task accepted (202), none waited for.
    let next = 0;
    const accepted: number[] = [];
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        while (next < FLOOD) {
          const res = await classify(keyA, next++, { route: ['openai:slow'], maxSyncMs: 0 });
          accepted.push(res.status);
        }
      }),
    );
    expect(accepted.filter((s) => s === 202)).toHaveLength(FLOOD);
    const backlogBefore = await backlogOf('flood-a');
    // The burst outran the worker: most of it still waits.
    expect(backlogBefore).toBeGreaterThan(FLOOD / 2);

    // B's sync requests, one after the other, each answered by its model within its sync budget.
    let lastB: string | undefined;
    for (let n = 0; n < B_REQUESTS; n++) {
      const res = await classify(keyB, n, { route: ['openai:ok'] });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.meta).toMatchObject({ provider: 'openai', model: 'ok', path: 'primary' });
      lastB = res.body.jobId as string;
    }

    // C's async tasks join the same background queue behind A's backlog, and complete in turn.
    const keyC = await newTenant('async-c');
    const jobsC: string[] = [];
    for (let n = 0; n < C_TASKS; n++) {
      const res = await classify(keyC, n, { route: ['openai:ok'], maxSyncMs: 0 });
      expect(res.status).toBe(202);
      jobsC.push(res.body.jobId as string);
    }
    for (const jobId of jobsC) {
      await waitFor(
        `C's job ${jobId} completed`,
        async () =>
          (await call('GET', `/v1/jobs/${jobId}`, undefined, keyC)).body.status === 'completed',
        { timeoutMs: 60_000 },
      );
    }
    // ...while A's backlog was still large: neither B nor C waited for A's burst to drain.
    const backlogAfter = await backlogOf('flood-a');
    expect(backlogAfter).toBeGreaterThan(FLOOD / 4);

    // Where each ran: A's and C's on the background queue, B's on the task queue.
    const queueOf = async (jobId: string) =>
      (await client.workflow.getHandle(jobId).describe()).taskQueue;
    const background = `${stack.taskQueue}-background`;
    expect(await queueOf(jobsC[0]!)).toBe(background);
    expect(await queueOf(lastB!)).toBe(stack.taskQueue);
    const [firstA] = await idsOf('flood-a', 1);
    expect(await queueOf(firstA!)).toBe(background);

    // A is not starved either: its whole burst completes.
    await waitFor('A drained', async () => (await backlogOf('flood-a')) === 0, {
      timeoutMs: 150_000,
    });
    const failedA = await client.workflow.count(
      `${keelQueuesFilter(stack.taskQueue)} AND KeelTenant = 'flood-a' AND ExecutionStatus != 'Completed'`,
    );
    expect(failedA.count).toBe(0);
  }, 300_000);
});
