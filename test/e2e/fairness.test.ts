import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { startStack, upstreamEnv, type Stack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Fairness on shared workers: tenant A floods the task queue with async tasks on a slow model,
 * more than the one worker can run at once, and tenant B's sync requests still complete (200,
 * within their sync budget) while A's backlog is still large. Without task-queue fairness
 * (`matching.enableFairness` off on the dev server, or no fairness key on the workflows) B's tasks
 * wait behind A's whole backlog: first come, first served, and B gets 202s.
 *
 * Load shedding is off (KEEL_MAX_INFLIGHT_TASKS=0) so that A's whole burst reaches Temporal; both
 * tenants are on the `unlimited` plan (same priority, no limits), so what lets B through is the
 * fairness key alone. Timing goals are in bench/fairness.ts.
 */
const FLOOD = 1_500;
/** Submissions of A's burst in flight at once. */
const SUBMITTERS = 16;
const B_REQUESTS = 5;

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
      `TaskQueue = '${stack.taskQueue}' AND KeelTenant = '${tenant}' AND ExecutionStatus = 'Running'`,
    )
    .then((c) => c.count);

describe('fairness between tenants on shared workers', () => {
  it("answers B's sync requests while A's burst of async tasks is still queued", async () => {
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
    for (let n = 0; n < B_REQUESTS; n++) {
      const res = await classify(keyB, n, { route: ['openai:ok'] });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.meta).toMatchObject({ provider: 'openai', model: 'ok', path: 'primary' });
    }
    // ...while A's backlog was still large: B did not wait for A's burst to drain.
    const backlogAfter = await backlogOf('flood-a');
    expect(backlogAfter).toBeGreaterThan(FLOOD / 4);

    // A is not starved either: its whole burst completes.
    await waitFor('A drained', async () => (await backlogOf('flood-a')) === 0, {
      timeoutMs: 150_000,
    });
    const failedA = await client.workflow.count(
      `TaskQueue = '${stack.taskQueue}' AND KeelTenant = 'flood-a' AND ExecutionStatus != 'Completed'`,
    );
    expect(failedA.count).toBe(0);
  }, 300_000);
});
