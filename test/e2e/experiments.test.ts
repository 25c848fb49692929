import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { startEmbeddedStack, upstreamEnv, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Shadow tests on the real stack (API with its worker inside, SQLite tenant store, the mock
 * upstream as OpenAI). Live traffic runs on `openai:ok`; an experiment at rate 1 shadows it with
 * `openai:drift-categories` (drifted from its first call: every answer names the next category).
 * The callers' answers are byte-identical to a run without the experiment, every shadow is
 * compared, `GET /v1/experiments/{id}` reports the disagreement with intervals, and the
 * tenant's usage ledger holds the live calls only.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
let connection: Connection;
const { call, tenant } = tenantApi(() => stack);

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, driftAfterCalls: 0 });
  stack = await startEmbeddedStack(upstreamEnv(mock.url));
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
  { subject: 'Crash', body: 'The app crashes with an error when I upload a file' },
  { subject: 'Invoice', body: 'Please send me a copy of last month’s invoice' },
  { subject: 'Bug', body: 'The export button throws an error and the page crashes' },
  { subject: 'Email change', body: 'How do I change the email address on my account?' },
  { subject: 'Slow', body: 'The dashboard takes a minute to load and times out' },
  { subject: 'Card', body: 'My card was declined but the payment still shows as pending' },
];

describe('shadow tests', () => {
  let admin: string;
  let caller: string;
  let otherAdmin: string;
  const baseline: string[] = [];

  const classifyAll = async (): Promise<Array<{ jobId: string; output: string }>> => {
    const out = [];
    for (const input of TICKETS) {
      const res = await call(
        'POST',
        '/v1/tasks/classify-ticket',
        { input, options: { route: ['openai:ok'], allowDegraded: false } },
        caller,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.meta).toMatchObject({ provider: 'openai', model: 'ok', path: 'primary' });
      out.push({ jobId: res.body.jobId as string, output: JSON.stringify(res.body.output) });
    }
    return out;
  };

  beforeAll(async () => {
    admin = await tenant('shadow-acme', 'pro', { roles: ['admin'] });
    const made = await call('POST', '/v1/admin/tenants/shadow-acme/keys', {
      name: 'app',
      roles: ['caller'],
    });
    caller = made.body.key as string;
    otherAdmin = await tenant('shadow-other', 'pro', { roles: ['admin'] });
    baseline.push(...(await classifyAll()).map((r) => r.output));
  });

  it('refuses a bad experiment with a problem naming the field', async () => {
    const none = await call(
      'POST',
      '/v1/admin/experiments',
      { task: 'classify-ticket', sampleRate: 1 },
      admin,
    );
    expect(none.status).toBe(400);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect(none.body.errors).toEqual([
      { field: 'candidateRoute', message: 'name a candidatePromptId, a candidateRoute or both' },
    ]);
    const rate = await call(
      'POST',
      '/v1/admin/experiments',
      { task: 'classify-ticket', candidateRoute: 'openai:ok', sampleRate: 2 },
      admin,
    );
    expect(rate.status).toBe(400);
    expect(rate.body.errors[0].field).toBe('sampleRate');
    const other = await call(
      'POST',
      '/v1/admin/experiments',
      {
        task: 'classify-ticket',
        candidateRoute: 'openai:ok',
        sampleRate: 1,
        tenant: 'shadow-acme',
      },
      otherAdmin,
    );
    expect(other.status).toBe(403);
    expect(other.body.errors).toEqual([{ field: 'tenant', message: 'operator only' }]);
    const asCaller = await call('GET', '/v1/experiments', undefined, caller);
    expect(asCaller.status).toBe(403);
  });

  it('shadows live traffic unseen, unbilled, and reports agreement with intervals', async () => {
    const created = await call(
      'POST',
      '/v1/admin/experiments',
      { task: 'classify-ticket', candidateRoute: 'openai:drift-categories', sampleRate: 1 },
      admin,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ tenant: 'shadow-acme', status: 'running', n: 0 });
    // Workers reuse a task's running experiments for up to a second (EXPERIMENTS_TTL_MS).
    await new Promise((r) => setTimeout(r, 1_100));

    const live = await classifyAll();
    // What the callers got is exactly what they got without the experiment.
    expect(live.map((r) => r.output)).toEqual(baseline);
    for (const r of live) {
      const job = await call('GET', `/v1/jobs/${r.jobId}`, undefined, caller);
      expect(JSON.stringify(job.body.output)).toBe(r.output);
    }

    let report: any;
    await waitFor(
      'every live job shadowed',
      async () => {
        report = (await call('GET', `/v1/experiments/${id}`, undefined, admin)).body;
        return report.stats?.n === TICKETS.length;
      },
      { timeoutMs: 60_000 },
    );
    // Each shadow ran as its own workflow on the background queue, at the lowest priority.
    const shadow = await new Client({ connection }).workflow
      .getHandle(`shadow-${id}-${live[0]!.jobId}`)
      .describe();
    expect(shadow.taskQueue).toBe(`${stack.taskQueue}-background`);
    expect(shadow.priority?.priorityKey).toBe(5);
    const s = report.stats;
    expect(s).toMatchObject({ n: 8, enoughSamples: false, minSamples: 30, enumField: 'category' });
    // drift-categories names another category than ok does: the enum never matches.
    expect(s.enumMatch).toMatchObject({ n: 8, rate: 0 });
    expect(s.enumMatch.low).toBe(0);
    expect(s.enumMatch.high).toBeGreaterThan(0.2);
    expect(s.enumMatch.high).toBeLessThan(0.45);
    expect(s.fieldDiffs.category).toMatchObject({ n: 8, rate: 1 });
    expect(s.validationPass.n).toBe(8);
    expect(s.validationPass.low).toBeLessThanOrEqual(s.validationPass.rate);
    expect(s.validationPass.high).toBeGreaterThanOrEqual(s.validationPass.rate);
    for (const delta of [s.latencyDeltaMs, s.costDeltaUsd]) {
      expect(delta.n).toBe(8);
      expect(typeof delta.mean).toBe('number');
      expect(delta.low).toBeLessThanOrEqual(delta.mean);
      expect(delta.high).toBeGreaterThanOrEqual(delta.mean);
    }
    expect(s.shadow.totalCostUsd).toBeGreaterThan(0);

    // The tenant's ledger: the live calls only, none of the candidate's.
    const usage = await call('GET', '/v1/usage?groupBy=model', undefined, admin);
    expect(usage.status).toBe(200);
    expect(usage.body.totals.calls).toBe(2 * TICKETS.length);
    expect(usage.body.rows.map((r: any) => r.group.model)).toEqual(['openai:ok']);

    // The dashboard's list, and another tenant's admin sees nothing of it.
    const list = await call('GET', '/v1/experiments', undefined, admin);
    expect(list.body.items).toEqual([expect.objectContaining({ id, n: 8, status: 'running' })]);
    const theirs = await call('GET', `/v1/experiments/${id}`, undefined, otherAdmin);
    expect(theirs.status).toBe(404);
    expect(theirs.body.type).toMatch(/experiment-not-found$/);
    expect((await call('GET', '/v1/experiments', undefined, otherAdmin)).body.items).toEqual([]);
    expect(
      (await call('GET', '/v1/experiments', undefined)).body.items.map((e: any) => e.id),
    ).toContain(id);

    const stopped = await call('POST', `/v1/admin/experiments/${id}/stop`, undefined, admin);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'stopped', n: 8 });
    expect(stopped.body.stoppedAt).toEqual(expect.any(String));
  });

  it('a candidate prompt version: the shadow call sends it, the caller still gets the live prompt’s answer', async () => {
    const version = await call(
      'POST',
      '/v1/admin/prompts/classify-ticket/versions',
      {
        system:
          'SHADOW CANDIDATE PROMPT. Classify support tickets as BILLING, TECHNICAL, ACCOUNT or OTHER; answer JSON {"category", "confidence", "rationale"}.',
        userTemplate: '{{input}}',
      },
      admin,
    );
    expect(version.status, JSON.stringify(version.body)).toBe(201);
    const created = await call(
      'POST',
      '/v1/admin/experiments',
      { task: 'classify-ticket', candidatePromptId: version.body.id, sampleRate: 1 },
      admin,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    await new Promise((r) => setTimeout(r, 1_100));
    await fetch(`${mock.url}/_mock/attempts`, { method: 'DELETE' });
    const live = await classifyAll();
    expect(live.map((r) => r.output)).toEqual(baseline);
    let report: any;
    await waitFor(
      'every live job shadowed with the candidate prompt',
      async () => {
        report = (await call('GET', `/v1/experiments/${id}`, undefined, admin)).body;
        return report.stats?.n === TICKETS.length;
      },
      { timeoutMs: 60_000 },
    );
    // Same model, same answers: the candidate prompt agrees with the live one on every ticket.
    expect(report.stats.enumMatch).toMatchObject({ n: 8, rate: 1 });
    expect(report.stats.validationPass).toMatchObject({ n: 8, rate: 1 });
    const { attempts } = (await (await fetch(`${mock.url}/_mock/attempts`)).json()) as {
      attempts: Array<{ request: { messages: Array<{ role: string; content: string }> } }>;
    };
    const systems = attempts.map(
      (a) => a.request.messages.find((m) => m.role === 'system')?.content,
    );
    // One live call with the built-in prompt and one shadow call with the candidate's per ticket.
    expect(systems.filter((t) => t?.startsWith('SHADOW CANDIDATE PROMPT'))).toHaveLength(8);
    expect(systems).toHaveLength(16);
  });
});
