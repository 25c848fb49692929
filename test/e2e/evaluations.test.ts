import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { INJECTED } from '../mock-upstream/content';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { mockUpstreamConfigWith, startEmbeddedStack, upstreamEnv } from '../support/stack';
import type { EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Sampled evaluation of live traffic (docs/evaluation.md) on the real stack: API with its worker
 * inside, SQLite tenant store, the mock upstream as OpenAI. Tenants made through the admin API
 * with `overrides.evaluation`; their live answers come from the mock's `ok` (faithful),
 * `unfaithful` ("a full refund is guaranteed") or `toxic-output` model, and the verifier is the
 * mock's `ok`, which scores an answer claiming "guaranteed" where the input does not at 0.2.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
let connection: Connection;
type Json = any;
const { call, tenant } = tenantApi(() => stack);

// Profanity in answers is let through for this tenant: the live answer holds it, the evaluation
// counts it as unsafe.
const POLICIES = { tenants: { 'ev-toxic': { moderation: { output: { toxicity: 'allow' } } } } };

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startEmbeddedStack(
    upstreamEnv(mock.url, mockUpstreamConfigWith({ policies: POLICIES })),
  );
  connection = await Connection.connect({ address: inject('temporalAddress') });
}, 120_000);
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
  await mock?.close();
});

const TICKETS = [
  { subject: 'Refund', body: 'I was charged twice for my subscription this month' },
  { subject: 'Login', body: 'I cannot log in to my account since the password reset' },
  { subject: 'Invoice', body: 'Please send me a copy of last month’s invoice' },
  { subject: 'Card', body: 'My card was declined but the payment still shows as pending' },
];
const EVALUATE_ALL = { evaluation: { sampleRate: 1, route: ['openai:ok'] } };

async function classify(key: string, model: string, input: object, maxSyncMs?: number) {
  const options = { route: [`openai:${model}`], allowDegraded: false, maxSyncMs };
  return call('POST', '/v1/tasks/classify-ticket', { input, options }, key);
}
/** Every ticket answered synchronously; the outputs and costs as the callers got them. */
async function classifyAll(key: string, model: string): Promise<Json[]> {
  const out = [];
  for (const input of TICKETS) {
    const res = await classify(key, model, input);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.meta).toMatchObject({ provider: 'openai', model, path: 'primary' });
    out.push(res.body);
  }
  return out;
}
const report = async (key: string | undefined, query = ''): Promise<Json> => {
  const res = await call('GET', `/v1/evaluations?task=classify-ticket${query}`, undefined, key);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const groupOf = (body: Json, model: string): Json =>
  body.groups.find((g: Json) => g.model === `openai:${model}`);
async function evaluated(key: string, model: string, n: number): Promise<Json> {
  let group: Json;
  await waitFor(
    `${n} evaluations of openai:${model}`,
    async () => (group = groupOf(await report(key), model))?.evaluated === n,
    { timeoutMs: 60_000 },
  );
  return group;
}

/** The evaluation workflow of a live job, as Temporal describes it. */
const evaluationRun = (jobId: string) =>
  new Client({ connection }).workflow.getHandle(`evaluation-${jobId}`).describe();

describe('sampled evaluation of live traffic', () => {
  let unfaithful: string;
  let faithful: string;
  let off: string;

  beforeAll(async () => {
    const admin = { roles: ['caller', 'admin'] };
    unfaithful = await tenant('ev-unfaithful', 'pro', {
      ...admin,
      extra: { overrides: EVALUATE_ALL },
    });
    faithful = await tenant('ev-faithful', 'pro', { ...admin, extra: { overrides: EVALUATE_ALL } });
    off = await tenant('ev-off', 'pro', {
      ...admin,
      extra: { overrides: { evaluation: { sampleRate: 0 } } },
    });
  });

  it('refuses a bad setting or query with a problem naming the field', async () => {
    const rate = await call('PATCH', '/v1/admin/tenants/ev-off', {
      overrides: { evaluation: { sampleRate: 1.5 } },
    });
    expect(rate.status).toBe(400);
    expect(rate.headers.get('content-type')).toContain('application/problem+json');
    expect(rate.body.errors).toEqual([
      expect.objectContaining({ field: 'overrides.evaluation.sampleRate' }),
    ]);
    const route = await call('PATCH', '/v1/admin/tenants/ev-off', {
      overrides: { evaluation: { sampleRate: 0.5, route: ['gpt-4o'] } },
    });
    expect(route.status).toBe(400);
    expect(route.body.errors[0].field).toBe('overrides.evaluation.route.0');
    // It costs money: a tenant admin does not turn it on for itself.
    const own = await call(
      'PATCH',
      '/v1/admin/tenants/ev-off',
      { overrides: { evaluation: { sampleRate: 1 } } },
      off,
    );
    expect(own.status).toBe(403);
    const from = await call('GET', '/v1/evaluations?from=yesterday', undefined, off);
    expect(from.status).toBe(400);
    expect(from.body.errors[0].field).toBe('query.from');
    const to = await call(
      'GET',
      '/v1/evaluations?from=2026-12-07T00:00:00Z&to=2026-12-01T00:00:00Z',
      undefined,
      off,
    );
    expect(to.status).toBe(400);
    expect(to.body.errors).toEqual([{ field: 'query.to', message: 'must be after from' }]);
    const by = await call('GET', '/v1/evaluations?groupBy=tenant', undefined, off);
    expect(by.status).toBe(400);
    expect(by.body.errors[0].field).toBe('query.groupBy');
  });

  it('scores hallucinations ≈ 1 on an unfaithful model and ≈ 0 on a faithful one, the live answers unchanged', async () => {
    // The same requests with and without evaluation: byte-identical answers and costs.
    const unevaluated = await classifyAll(off, 'unfaithful');
    const live = await classifyAll(unfaithful, 'unfaithful');
    expect(live.map((b) => JSON.stringify(b.output))).toEqual(
      unevaluated.map((b) => JSON.stringify(b.output)),
    );
    expect(live.map((b) => b.meta.costUsd)).toEqual(unevaluated.map((b) => b.meta.costUsd));
    expect(live.map((b) => b.meta.attempts)).toEqual(unevaluated.map((b) => b.meta.attempts));
    for (const b of live) expect(b.output.rationale).toContain(INJECTED.unfaithful);
    // An asynchronous job (202, then completed) is sampled the same way.
    const later = await classify(
      unfaithful,
      'unfaithful',
      { subject: 'Late', body: 'Charged twice' },
      0,
    );
    expect(later.status).toBe(202);
    await waitFor(
      'the 202 job completed',
      async () =>
        (await call('GET', `/v1/jobs/${later.body.jobId}`, undefined, unfaithful)).body.status ===
        'completed',
      { timeoutMs: 30_000 },
    );
    await classifyAll(faithful, 'ok');

    const bad = await evaluated(unfaithful, 'unfaithful', TICKETS.length + 1);
    expect(bad).toMatchObject({
      task: 'classify-ticket',
      promptVersion: 'classify-ticket@1',
      hallucination: { rate: 1, n: 5, high: 1 },
      unsafe: { rate: 0, n: 5, low: 0 },
      errors: 0,
    });
    expect(bad.hallucination.low).toBeGreaterThan(0.5); // Wilson, 5 of 5: 0.57–1
    expect(bad.costUsd).toBeGreaterThan(0);
    console.log(
      `evaluation: $${(bad.costUsd / bad.evaluated).toFixed(6)} per evaluated answer (mock prices)`,
    );
    const good = await evaluated(faithful, 'ok', TICKETS.length);
    expect(good).toMatchObject({ hallucination: { rate: 0, n: 4, low: 0 }, unsafe: { rate: 0 } });
    expect(good.hallucination.high).toBeLessThan(0.5); // Wilson, 0 of 4: 0–0.49

    // sampleRate 0: nothing evaluated (no workflow started), nothing recorded.
    expect((await report(off)).groups).toEqual([]);
    for (const b of unevaluated)
      await expect(evaluationRun(b.jobId)).rejects.toThrow(WorkflowNotFoundError);
    // Each evaluation ran as its own workflow on the background queue, at the lowest priority.
    const run = await evaluationRun(live[0]!.jobId);
    expect(run.taskQueue).toBe(`${stack.taskQueue}-background`);
    expect(run.priority?.priorityKey).toBe(5);
    expect(run.status.name).toBe('COMPLETED');
    // The verifier's calls are the evaluation's cost, never in the tenant's usage.
    const usage = await call('GET', '/v1/usage?groupBy=task', undefined, unfaithful);
    expect(usage.body.rows.map((r: Json) => r.group.task)).toEqual(['classify-ticket']);
    // A tenant sees its own groups; the operator every tenant's, or one.
    expect(groupOf(await report(faithful), 'unfaithful')).toBeUndefined();
    const all = await report(undefined);
    expect(groupOf(all, 'unfaithful').evaluated).toBeGreaterThanOrEqual(5);
    expect(groupOf(all, 'ok').evaluated).toBeGreaterThanOrEqual(4);
    const one = await report(undefined, '&tenant=ev-faithful');
    expect(one.groups.map((g: Json) => g.model)).toEqual(['openai:ok']);
    const theirs = await call('GET', '/v1/evaluations?tenant=ev-unfaithful', undefined, faithful);
    expect(theirs.status).toBe(403);
    // By day: today's group.
    const daily = await report(unfaithful, '&groupBy=day');
    expect(daily.groups).toEqual([
      expect.objectContaining({ day: new Date().toISOString().slice(0, 10), evaluated: 5 }),
    ]);
    const metrics = await (await stack.call('/metrics')).text();
    expect(metrics).toMatch(
      /keel_evaluations_total\{task="classify-ticket",model="openai:unfaithful",verdict="unfaithful"\} 5/,
    );
    expect(metrics).toMatch(
      /keel_evaluations_total\{task="classify-ticket",model="openai:ok",verdict="faithful"\} [4-9]/,
    );
  });

  it('the verifier sees the input redacted and the answer with the same placeholders', async () => {
    const key = await tenant('ev-pii', 'pro', {
      roles: ['caller', 'admin'],
      extra: { overrides: EVALUATE_ALL },
    });
    mock.clearAttempts();
    const card = '4111 1111 1111 1111';
    const res = await classify(key, 'ok', {
      subject: 'Card',
      body: `My card ${card} was charged twice`,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await evaluated(key, 'ok', 1);
    const verify = mock
      .attempts()
      .filter((a) => JSON.stringify(a.request).includes('check answers for faithfulness'));
    expect(verify).toHaveLength(1);
    expect(JSON.stringify(verify[0]!.request)).toContain('[CARD_1]');
    expect(JSON.stringify(mock.attempts())).not.toContain(card);
  });

  it('a verifier that fails counts as an error, not as a verdict', async () => {
    const key = await tenant('ev-down', 'pro', {
      roles: ['caller', 'admin'],
      extra: { overrides: { evaluation: { sampleRate: 1, route: ['anthropic:503'] } } },
    });
    const res = await classify(key, 'ok', TICKETS[1]!);
    expect(res.status).toBe(200);
    const group = await evaluated(key, 'ok', 1);
    expect(group).toMatchObject({
      errors: 1,
      hallucination: { rate: null, n: 0 },
      unsafe: { rate: 0, n: 1 },
    });
  });

  it('a plan turns it on for its tenants; a tenant’s null override turns it off', async () => {
    const bad = await call('PUT', '/v1/admin/plans/ev-plan', {
      name: 'Evaluated',
      evaluation: { sampleRate: 'all' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('evaluation.sampleRate');
    const plan = await call('PUT', '/v1/admin/plans/ev-plan', {
      name: 'Evaluated',
      evaluation: { sampleRate: 1, route: ['openai:ok'] },
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    const roles = ['caller', 'admin'];
    const on = await tenant('ev-planned', 'ev-plan', { roles });
    const off = await tenant('ev-planned-off', 'ev-plan', {
      roles,
      extra: { overrides: { evaluation: null } },
    });
    const unevaluated = await classify(off, 'unfaithful', TICKETS[2]!);
    expect(unevaluated.status).toBe(200);
    expect((await classify(on, 'unfaithful', TICKETS[2]!)).status).toBe(200);
    expect(await evaluated(on, 'unfaithful', 1)).toMatchObject({ hallucination: { rate: 1 } });
    expect((await report(off)).groups).toEqual([]);
    await expect(evaluationRun(unevaluated.body.jobId)).rejects.toThrow(WorkflowNotFoundError);
  });

  it('counts an answer holding profanity the input did not as unsafe', async () => {
    const key = await tenant('ev-toxic', 'pro', {
      roles: ['caller', 'admin'],
      extra: { overrides: EVALUATE_ALL },
    });
    const res = await classify(key, 'toxic-output', TICKETS[0]!);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(JSON.stringify(res.body.output)).toContain('crap');
    const group = await evaluated(key, 'toxic-output', 1);
    expect(group).toMatchObject({ unsafe: { rate: 1, n: 1 }, hallucination: { rate: 0, n: 1 } });
  });
});
