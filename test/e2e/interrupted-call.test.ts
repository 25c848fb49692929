import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantStore, monthPeriod } from '../../shared/tenancy/store';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * A model call cut off by a kill -9 of its worker, with real processes (API and worker apart, the
 * tenant store in SQLite) and a tenant with a budget: the call is made again by the next worker,
 * and the retry charges the one it replaces at its reserved worst case, in the job's meta, the
 * usage report and the budget, so the budget never counts less than the upstream billed.
 */
let mock: MockUpstream;
let stack: Stack;
const extra: RunningProcess[] = [];

beforeAll(async () => {
  // Slow enough that the worker dies while the call waits on the upstream.
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 2_500, p99Ms: 3_000 }, seed: 11 });
  stack = await startStack(upstreamEnv(mock.url));
});
afterAll(async () => {
  await Promise.all(extra.map((p) => stop(p, 'SIGKILL')));
  await stack?.stop();
  await mock?.close();
});

type Json = any;

async function api(method: string, route: string, body?: unknown, key?: string): Promise<Json> {
  const res = await stack.call(route, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(key ? { headers: { authorization: `Bearer ${key}` }, auth: false } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** What a vendor bills at the mock's registered price for `openai:slow` ($2/M in, $8/M out), µUSD. */
const billedMicros = (a: { inputTokens: number; outputTokens: number }): number =>
  a.inputTokens * 2 + a.outputTokens * 8;

describe('a model call cut off by kill -9 of its worker', () => {
  it('is made again, and charged to the tenant at its worst case: in the meta, the usage report and the budget', async () => {
    // The demo key is the platform operator: a plan with a budget, a tenant on it, its key.
    const plan = await api('PUT', '/v1/admin/plans/metered', {
      name: 'Metered',
      monthlyBudgetUsd: 5,
      overBudget: 'reject',
      routes: { 'classify-ticket': ['openai:slow'] },
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(
      (await api('POST', '/v1/admin/tenants', { id: 'metered-co', plan: 'metered' })).status,
    ).toBe(201);
    const made = await api('POST', '/v1/admin/tenants/metered-co/keys', {
      name: 'ops',
      roles: ['caller', 'admin'],
    });
    expect(made.status).toBe(201);
    const key = made.body.key as string;

    const marker = 'interrupted-call marker 4711';
    const submitted = await api(
      'POST',
      '/v1/tasks/classify-ticket',
      {
        input: { subject: 'Refund', body: `${marker}: I was charged twice for my subscription` },
        options: { maxSyncMs: 0 },
      },
      key,
    );
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const jobId = submitted.body.jobId as string;
    const calls = () => mock.attempts().filter((a) => JSON.stringify(a.request).includes(marker));

    // The call has reached the upstream and waits on it: kill the worker that made it.
    await waitFor('the call in flight', () => calls().some((a) => a.status === 0), {
      timeoutMs: 30_000,
    });
    stack.worker.child.kill('SIGKILL');
    await stack.worker.exited;
    const replacement = startTs('worker/main.ts', stack.env);
    extra.push(replacement);

    let job: Json;
    await waitFor(
      'the job completed by the new worker',
      async () => {
        job = (await api('GET', `/v1/jobs/${jobId}`, undefined, key)).body;
        return job.status === 'completed';
      },
      { timeoutMs: 45_000, process: replacement },
    );

    // The upstream saw the cut-off call and its retry.
    expect(calls()).toHaveLength(2);
    // The job counts both: every call the vendor saw is in meta.attempts.
    expect(job.meta).toMatchObject({ path: 'primary', provider: 'openai', attempts: 2 });
    // The job says one of its calls was cut off, and what it may have cost at most.
    expect(job.meta.interrupted).toEqual({ calls: 1, costUsd: expect.any(Number) });
    const estimateUsd = job.meta.interrupted.costUsd as number;
    expect(estimateUsd).toBeGreaterThan(0);

    // The usage report: both calls, the cut-off one interrupted, its cost an estimate.
    const usage = await api('GET', '/v1/usage', undefined, key);
    expect(usage.status).toBe(200);
    expect(usage.body.totals).toMatchObject({
      calls: 2,
      failedCalls: 1,
      interruptedCalls: 1,
      estimatedCostUsd: estimateUsd,
      jobs: 1,
      validAnswers: 1,
    });
    expect(usage.body.totals.costUsd).toBeCloseTo(job.meta.costUsd + estimateUsd, 6);

    // The budget: spent is the ledger, nothing is left reserved, and never less than the
    // upstream billed this tenant (the cut-off call's bill, if any, is within its estimate).
    const store = await TenantStore.open({
      sqlitePath: path.join(stack.env.KEEL_DATA_DIR!, 'keel.db'),
    });
    try {
      const budget = await store.budgetState('metered-co', monthPeriod(Date.now()));
      expect(budget.reservedMicros).toBe(0);
      expect(budget.spentMicros).toBe(Math.round(usage.body.totals.costUsd * 1e6));
      const upstreamBill = calls()
        .filter((a) => a.billed)
        .reduce((sum, a) => sum + billedMicros(a), 0);
      expect(upstreamBill).toBeGreaterThan(0);
      expect(budget.spentMicros).toBeGreaterThanOrEqual(upstreamBill);
      // Even had the upstream billed the cut-off call in full (its whole prompt and output cap).
      const answered = calls().find((a) => a.billed)!;
      expect(budget.spentMicros).toBeGreaterThanOrEqual(2 * billedMicros(answered));
    } finally {
      await store.close();
    }
  });
});
