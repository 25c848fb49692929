import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASKS } from '../../shared/tasks';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startEmbeddedStack, upstreamEnv, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Tenants through the HTTP API of the default deployment (one API process with its worker
 * inside, the tenant store in SQLite, limits in the process's memory): the admin API and its bad
 * input, the isolation of one tenant from another, plans at the door (task list, limits, budget)
 * and the usage report. Two APIs and two workers on PostgreSQL and Redis:
 * tenancy-replicas.test.ts.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startEmbeddedStack(upstreamEnv(mock.url));
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

type Json = any;
const ticket = { subject: 'Refund', body: 'I was charged twice for my subscription' };

/** The demo key is the platform operator. */
const { call: admin, tenant } = tenantApi(() => stack);

async function runTask(key: string, body: unknown = { input: ticket }, task = 'classify-ticket') {
  return admin('POST', `/v1/tasks/${task}`, body, key);
}

const newTenant = (id: string, plan: string, extra: object = {}): Promise<string> =>
  tenant(id, plan, { roles: ['caller', 'reviewer', 'admin'], extra });

describe('the admin API', () => {
  it('creates a tenant and a key shown once, prefixed, that then works', async () => {
    const made = await admin('POST', '/v1/admin/tenants', {
      id: 'acme',
      name: 'Acme Inc.',
      plan: 'pro',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      id: 'acme',
      name: 'Acme Inc.',
      plan: 'pro',
      status: 'active',
    });
    const key = await admin('POST', '/v1/admin/tenants/acme/keys', {
      name: 'backend',
      roles: ['caller'],
    });
    expect(key.status).toBe(201);
    expect(key.body.key).toMatch(/^keel_live_[0-9A-Za-z]{40}$/);
    expect(key.body.prefix).toBe(key.body.key.slice(0, 14));
    // Listed without the key itself.
    const listed = await admin('GET', '/v1/admin/tenants/acme/keys');
    expect(listed.body.items).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(key.body.key);
    const run = await runTask(key.body.key);
    expect(run.status).toBe(200);
    // A caller key is not an admin.
    expect((await admin('GET', '/v1/admin/tenants/acme', undefined, key.body.key)).status).toBe(
      403,
    );
  });

  it.each([
    [{ id: 'acme', plan: 'pro' }, 409, 'tenant-exists', 'id'],
    [{ id: 'newco', plan: 'platinum' }, 400, 'invalid-request', 'plan'],
    [
      { id: 'newco', plan: 'pro', overrides: { monthlyBudgetUsd: -5 } },
      400,
      'invalid-request',
      'overrides.monthlyBudgetUsd',
    ],
    [{ id: 'newco', plan: 'pro', name: 'x'.repeat(201) }, 400, 'invalid-request', 'name'],
    [{ id: 'Not_A_Slug', plan: 'pro' }, 400, 'invalid-request', 'id'],
    [{ id: 'newco', plan: 'pro', color: 'red' }, 400, 'invalid-request', 'color'],
  ])('refuses %j with %i %s naming %s, and changes nothing', async (body, status, type, field) => {
    const before = await admin('GET', '/v1/admin/tenants?limit=500');
    const res = await admin('POST', '/v1/admin/tenants', body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.type).toBe(`https://keel.dev/problems/${type}`);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await admin('GET', '/v1/admin/tenants?limit=500')).toMatchObject({
      body: before.body,
    });
  });

  it('suspends a tenant (its keys get 403 tenant-suspended) and reactivates it', async () => {
    const key = await newTenant('suspendable', 'pro');
    expect((await runTask(key)).status).toBe(200);
    expect(
      (await admin('PATCH', '/v1/admin/tenants/suspendable', { status: 'suspended' })).status,
    ).toBe(200);
    // Another process would see it within 1 s (its key cache); this one forgot at once.
    const refused = await runTask(key);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toContain('tenant-suspended');
    await admin('PATCH', '/v1/admin/tenants/suspendable', { status: 'active' });
    expect((await runTask(key)).status).toBe(200);
  });

  it('rotates a key with an overlap, then revokes the successor', async () => {
    await newTenant('rotor', 'pro');
    const first = await admin('POST', '/v1/admin/tenants/rotor/keys', {
      name: 'svc',
      roles: ['caller'],
    });
    const rotated = await admin('POST', `/v1/admin/tenants/rotor/keys/${first.body.id}/rotate`, {
      overlapSeconds: 1,
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ name: 'svc', roles: ['caller'] });
    expect(rotated.body.replaces.expiresAt).not.toBeNull();
    expect((await runTask(first.body.key)).status).toBe(200);
    expect((await runTask(rotated.body.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_200));
    const expired = await runTask(first.body.key);
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toContain('rotated');
    const revoked = await admin('DELETE', `/v1/admin/tenants/rotor/keys/${rotated.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await runTask(rotated.body.key)).status).toBe(401);
    // Revoking again: the key is gone for good.
    expect(
      (await admin('DELETE', `/v1/admin/tenants/rotor/keys/${rotated.body.id}`)).body.type,
    ).toContain('key-not-found');
  });

  it('lets a tenant admin rename and set policy, never change what it pays for', async () => {
    const key = await newTenant('selfserve', 'free');
    const renamed = await admin('PATCH', '/v1/admin/tenants/selfserve', { name: 'Self' }, key);
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Self');
    const upgrade = await admin(
      'PATCH',
      '/v1/admin/tenants/selfserve',
      { plan: 'enterprise', overrides: { monthlyBudgetUsd: 1e6 } },
      key,
    );
    expect(upgrade.status).toBe(403);
    expect(upgrade.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'overrides.monthlyBudgetUsd',
      'plan',
    ]);
    expect((await admin('GET', '/v1/admin/tenants/selfserve')).body.plan).toBe('free');
    // Nor can it make itself an operator.
    const escalate = await admin(
      'POST',
      '/v1/admin/tenants/selfserve/keys',
      { name: 'root', roles: ['operator'] },
      key,
    );
    expect(escalate.status).toBe(403);
  });
});

describe('tenant isolation', () => {
  it('tenant A’s keys never reach tenant B’s jobs, reviews, keys, usage or admin record', async () => {
    const a = await newTenant('tenant-a', 'pro');
    const b = await newTenant('tenant-b', 'pro');
    const bJob = await runTask(b, { input: ticket, options: { maxSyncMs: 0 } });
    expect(bJob.status).toBe(202);
    const bKeys = await admin('GET', '/v1/admin/tenants/tenant-b/keys');
    const probes: Array<[string, string, unknown?]> = [
      ['GET', `/v1/jobs/${bJob.body.jobId}`],
      ['GET', `/v1/reviews/${bJob.body.jobId}`],
      ['POST', `/v1/reviews/${bJob.body.jobId}`, { decision: 'approve' }],
      ['GET', '/v1/admin/tenants/tenant-b'],
      ['PATCH', '/v1/admin/tenants/tenant-b', { name: 'pwned' }],
      ['GET', '/v1/admin/tenants/tenant-b/keys'],
      ['POST', '/v1/admin/tenants/tenant-b/keys', { name: 'x', roles: ['caller'] }],
      ['POST', `/v1/admin/tenants/tenant-b/keys/${bKeys.body.items[0].id}/rotate`, {}],
      ['DELETE', `/v1/admin/tenants/tenant-b/keys/${bKeys.body.items[0].id}`],
      ['POST', '/v1/admin/tenants', { id: 'tenant-c', plan: 'pro' }],
      ['PUT', '/v1/admin/plans/pro', { name: 'Pro', limits: {} }],
      ['GET', '/v1/usage?tenant=tenant-b'],
      ['GET', '/v1/usage?groupBy=tenant'],
    ];
    for (const [method, path, body] of probes) {
      const res = await admin(method, path, body, a);
      expect([400, 403, 404], `${method} ${path} → ${res.status}`).toContain(res.status);
      // A problem, never B's data (the job id in `detail` is the one A sent).
      expect(res.body.type, `${method} ${path}`).toMatch(/^https:\/\/keel\.dev\/problems\//);
      expect(JSON.stringify(res.body)).not.toMatch(/BILLING|"output"|"items"|"key"/);
    }
    // A's own list shows only A.
    const list = await admin('GET', '/v1/admin/tenants', undefined, a);
    expect(list.body.items.map((t: { id: string }) => t.id)).toEqual(['tenant-a']);
    // And B's key still works, its tenant unchanged.
    expect((await admin('GET', '/v1/admin/tenants/tenant-b')).body.name).toBe('tenant-b');
    expect((await runTask(b)).status).toBe(200);
  });
});

describe('plans at the door', () => {
  it('refuses a task outside the plan with 403 task-not-in-plan, before anything starts', async () => {
    const key = await newTenant('freebie', 'free');
    mock.clearAttempts();
    const res = await runTask(key, { input: TASKS.answer!.example }, 'answer');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ plan: 'free' });
    expect(res.body.type).toContain('task-not-in-plan');
    expect(mock.attempts()).toHaveLength(0);
  });

  it('runs the plan’s own route for a task', async () => {
    await admin('PUT', '/v1/admin/plans/routed', {
      name: 'Routed',
      routes: { 'classify-ticket': ['anthropic:ok'] },
    });
    const key = await newTenant('routed-co', 'routed');
    const res = await runTask(key);
    expect(res.status).toBe(200);
    expect(res.body.meta).toMatchObject({ provider: 'anthropic', model: 'ok' });
  });

  it('limits requests per minute: the third is 429 with Retry-After and RateLimit headers', async () => {
    await admin('PUT', '/v1/admin/plans/tiny', {
      name: 'Tiny',
      limits: { requestsPerMinute: 2 },
    });
    const key = await newTenant('tiny-co', 'tiny');
    const first = await runTask(key);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"tenant-requests";q=2;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"tenant-requests";r=1;t=\d+$/);
    expect((await runTask(key)).status).toBe(200);
    mock.clearAttempts();
    const refused = await runTask(key);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ rateLimit: 'tenant-requests' });
    expect(refused.body.type).toContain('rate-limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit')).toMatch(/"tenant-requests";r=0;t=\d+/);
    // Nothing started: no model call, no job.
    expect(mock.attempts()).toHaveLength(0);
  });

  it('a plan that answers from the cache when limited: the same request again, no model call', async () => {
    await admin('PUT', '/v1/admin/plans/cached', {
      name: 'Cached',
      limits: { requestsPerMinute: 1 },
      whenLimited: 'cache',
    });
    const key = await newTenant('cached-co', 'cached');
    const first = await runTask(key);
    expect(first.status).toBe(200);
    mock.clearAttempts();
    const again = await runTask(key);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-keel-limited')).toBe('cache');
    expect(again.body.meta.path).toBe('cache');
    expect(again.body.output).toEqual(first.body.output);
    expect(mock.attempts()).toHaveLength(0);
    // Nothing cached for another input: refused as usual.
    const other = await runTask(key, { input: { ...ticket, body: 'The app crashes at login' } });
    expect(other.status).toBe(429);
  });

  it('a plan that degrades when limited: the downgrades answer, marked, with no model call', async () => {
    await admin('PUT', '/v1/admin/plans/degrading', {
      name: 'Degrading',
      limits: { requestsPerMinute: 1 },
      whenLimited: 'degrade',
      routes: { 'classify-ticket': ['openai:ok'] },
    });
    const key = await newTenant('degrading-co', 'degrading');
    const first = await runTask(key);
    expect(first.status).toBe(200);
    expect(first.body.meta.path).toBe('primary');
    mock.clearAttempts();
    // Another input (no last good answer for it): the deterministic fallback answers.
    const crash = { subject: 'Crash', body: 'The app crashes at login since the update' };
    const limited = await runTask(key, { input: crash });
    expect(limited.status).toBe(200);
    expect(limited.headers.get('x-keel-limited')).toBe('degrade');
    expect(limited.headers.get('ratelimit')).toMatch(/"tenant-requests";r=0;t=\d+/);
    expect(limited.body.meta.path).toBe('degraded');
    expect(limited.body.meta.reasons.join(' ')).toContain('tenant-requests limit is reached');
    expect(TASKS['classify-ticket']!.output.safeParse(limited.body.output).success).toBe(true);
    // The same input as the first: its last good answer.
    const again = await runTask(key);
    expect(again.status).toBe(200);
    expect(again.body.meta.path).toBe('degraded');
    expect(again.body.output).toEqual(first.body.output);
    expect(mock.attempts()).toHaveLength(0);
    // Only the first job's call is billed.
    const usage = await admin('GET', '/v1/usage', undefined, key);
    expect(usage.body.totals.calls).toBe(1);
  });

  it('limits concurrent tasks; a slot frees when its task ends, async ones included', async () => {
    await admin('PUT', '/v1/admin/plans/single', {
      name: 'Single',
      limits: { concurrentTasks: 1 },
      routes: { 'classify-ticket': ['openai:slow'] },
    });
    const key = await newTenant('single-co', 'single');
    const slow = await runTask(key, { input: ticket, options: { maxSyncMs: 0 } });
    expect(slow.status).toBe(202);
    const second = await runTask(key);
    expect(second.status).toBe(429);
    expect(second.body.rateLimit).toBe('tenant-concurrency');
    // The 202'd job's workflow frees the slot when it ends.
    for (let i = 0; i < 100; i++) {
      const job = await admin('GET', `/v1/jobs/${slow.body.jobId}`, undefined, key);
      if (job.body.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await runTask(key)).status).toBe(200);
  });

  it('a plan that rejects past its budget: 402 budget-exceeded once spent, nothing started', async () => {
    // The worst case of one openai:ok call (classify-ticket's 512 output tokens at $8/M, plus
    // the input) is about $0.005; an actual call costs about a tenth of that.
    await admin('PUT', '/v1/admin/plans/capped', {
      name: 'Capped',
      monthlyBudgetUsd: 0.01,
      overBudget: 'reject',
      routes: { 'classify-ticket': ['openai:ok'] },
    });
    const key = await newTenant('capped-co', 'capped');
    let answered = 0;
    let refused: Json;
    let callsBefore = 0;
    for (let i = 0; i < 60 && !refused; i++) {
      callsBefore = mock.attempts().length;
      const res = await runTask(key);
      if (res.status === 200) answered++;
      else refused = res;
    }
    expect(answered).toBeGreaterThan(0);
    // The call that would have passed the budget was not made.
    expect(refused.status).toBe(402);
    expect(refused.body.type).toContain('budget-exceeded');
    expect(mock.attempts().length).toBe(callsBefore);
    const usage = await admin('GET', '/v1/usage', undefined, key);
    expect(usage.body.totals.costUsd).toBeLessThanOrEqual(0.01);
    expect(usage.body.totals.validAnswers).toBe(answered);
    // Spent to within a call's worst case: the door refuses outright once nothing is left.
    await admin('PATCH', '/v1/admin/tenants/capped-co', {
      overrides: { monthlyBudgetUsd: usage.body.totals.costUsd },
    });
    const door = await runTask(key);
    expect(door.status).toBe(402);
    expect(door.body.budget).toMatchObject({
      limitUsd: usage.body.totals.costUsd,
      spentUsd: usage.body.totals.costUsd,
      reservedUsd: 0,
    });
  });

  it('a plan that downgrades past its budget answers from the deterministic fallback', async () => {
    await admin('PUT', '/v1/admin/plans/thrifty', {
      name: 'Thrifty',
      monthlyBudgetUsd: 0.001,
      overBudget: 'downgrade',
      routes: { 'classify-ticket': ['openai:ok'] },
    });
    const key = await newTenant('thrifty-co', 'thrifty');
    mock.clearAttempts();
    const res = await runTask(key);
    // The worst case of one call (about $0.005) is over the whole budget: no call is made.
    expect(res.status).toBe(200);
    expect(res.body.meta.path).toBe('degraded');
    expect(res.body.meta.reasons.join(' ')).toContain('BudgetExceeded');
    expect(mock.attempts()).toHaveLength(0);
  });
});

describe('a plan that sends work past its budget to review', () => {
  it('holds the cheaper answer for a person, with the reason', async () => {
    await admin('PUT', '/v1/admin/plans/watched', {
      name: 'Watched',
      monthlyBudgetUsd: 0.001,
      overBudget: 'review',
      routes: { 'classify-ticket': ['openai:ok'] },
    });
    const key = await newTenant('watched-co', 'watched');
    mock.clearAttempts();
    const res = await runTask(key);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('awaiting_review');
    expect(mock.attempts()).toHaveLength(0);
    const item = await admin('GET', `/v1/reviews/${res.body.jobId}`, undefined, key);
    expect(item.status).toBe(200);
    expect(JSON.stringify(item.body)).toContain('monthly budget is spent');
  });
});

describe('the usage report', () => {
  it('adds up calls, failed ones included, and gives the cost per successful interaction', async () => {
    const key = await newTenant('metered', 'pro');
    mock.clearAttempts();
    const ok = await runTask(key, { input: ticket, options: { route: ['openai:ok'] } });
    expect(ok.status).toBe(200);
    // A bad answer re-asked, then a good one: two billed calls for one valid answer.
    const reask = await runTask(key, {
      input: ticket,
      options: { route: ['openai:invalid-json', 'openai:ok'], allowDegraded: false },
    });
    expect(reask.status).toBe(200);
    const billed = mock
      .attempts()
      .filter((a) => a.billed)
      .reduce(
        (sum, a) => sum + Math.round(((a.inputTokens * 2 + a.outputTokens * 8) / 1e6) * 1e6),
        0,
      );
    const usage = await admin('GET', '/v1/usage?groupBy=model', undefined, key);
    expect(usage.status).toBe(200);
    expect(Math.round(usage.body.totals.costUsd * 1e6)).toBe(billed);
    expect(usage.body.totals.calls).toBe(mock.attempts().length);
    expect(usage.body.totals.validAnswers).toBe(2);
    expect(usage.body.totals.costPerSuccessUsd).toBeCloseTo(usage.body.totals.costUsd / 2, 9);
    expect(usage.body.rows.map((r: Json) => r.group.model).sort()).toEqual(
      ['openai:invalid-json', 'openai:ok'].sort(),
    );
    // The operator sees every tenant, grouped.
    const all = await admin('GET', '/v1/usage?groupBy=tenant');
    expect(all.body.rows.map((r: Json) => r.group.tenant)).toContain('metered');
  });

  it('names the offending query parameter', async () => {
    const res = await admin('GET', '/v1/usage?groupBy=colour');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('query.groupBy.0');
    const span = await admin('GET', '/v1/usage?from=2026-01-01&to=2025-01-01');
    expect(span.body.errors[0].field).toBe('query.to');
  });
});
