import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASKS } from '../../shared/tasks';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/processes';
import { scrapeMetrics, Scrape } from '../support/prometheus';
import {
  mockUpstreamConfigWith,
  startEmbeddedStack,
  startStack,
  upstreamEnv,
  type EmbeddedStack,
  type Stack,
} from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * `GET /metrics` read by a real Prometheus text-format parser after a known mix of traffic:
 * requests by task and status, refusals by reason and plan, a budget crossing 80 %, model calls,
 * tokens and cost equal to what the mock upstream logged. First the default deployment (one API
 * process with its worker inside: one registry), then an API and a worker process (the worker's
 * own listener, KEEL_METRICS_TOKEN on both, the Temporal SDK's runtime metrics).
 */
const TOKEN = `metrics-token-${randomUUID()}`;
const ticket = (n: number) => ({ subject: 'Refund', body: `I was charged twice, order ${n}.` });
const bigTicket = {
  subject: 'Refund',
  body: 'I was charged twice for my subscription. '.repeat(480).trim(),
};

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
});
afterAll(async () => {
  await mock?.close();
});

function client(stack: EmbeddedStack) {
  const { call, tenant: make } = tenantApi(() => stack);
  const tenant = (id: string, plan: string) => make(id, plan, { roles: ['caller', 'admin'] });
  const run = (key: string | undefined, input: unknown, task = 'classify-ticket', options = {}) =>
    call('POST', `/v1/tasks/${task}`, { input, options }, key);
  return { call, tenant, run };
}

/** The mock's log summed: every attempt it billed. */
function upstreamTotals() {
  const billed = mock.attempts().filter((a) => a.billed);
  const input = billed.reduce((n, a) => n + a.inputTokens, 0);
  const output = billed.reduce((n, a) => n + a.outputTokens, 0);
  // keel.mock-upstream.json: every scenario at $2/M input, $8/M output.
  return { calls: billed.length, input, output, costUsd: (input * 2 + output * 8) / 1e6 };
}

describe('one API process with its worker inside', () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    mock.clearAttempts();
    stack = await startEmbeddedStack(upstreamEnv(mock.url));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('counts the traffic it served, as a Prometheus parser reads it', async () => {
    const { call, tenant, run } = client(stack);
    const route = { 'classify-ticket': ['openai:ok'] };
    await call('PUT', '/v1/admin/plans/metrics-tiny', {
      name: 'Tiny',
      limits: { requestsPerMinute: 3 },
      routes: route,
    });
    await call('PUT', '/v1/admin/plans/metrics-capped', {
      name: 'Capped',
      monthlyBudgetUsd: 1,
      overBudget: 'reject',
      routes: route,
    });
    const tiny = await tenant('metrics-tiny-co', 'metrics-tiny');
    const capped = await tenant('metrics-capped-co', 'metrics-capped');
    const free = await tenant('metrics-free-co', 'free');

    // Three answered, the fourth refused by the plan's rate limit.
    for (const n of [1, 2, 3]) expect((await run(tiny, ticket(n))).status).toBe(200);
    expect((await run(tiny, ticket(4))).body.type).toContain('rate-limited');
    // A task outside the free plan; a task nobody defined.
    expect((await run(free, TASKS.answer!.example, 'answer')).status).toBe(403);
    expect((await run(undefined, ticket(5), 'no-such-task')).status).toBe(404);
    // The same request twice with the cache on: one model call, one cache hit.
    const cached = { route: ['openai:ok'], cacheTtlMs: 60_000 };
    expect((await run(undefined, ticket(6), 'classify-ticket', cached)).status).toBe(200);
    const hit = await run(undefined, ticket(6), 'classify-ticket', cached);
    expect(hit.body.meta.path).toBe('cache');

    // The budget: two large calls, then a budget their spend plus most of a third is 80 % of.
    for (let i = 0; i < 2; i++) expect((await run(capped, bigTicket)).status).toBe(200);
    const spent = (await call('GET', '/v1/usage', undefined, capped)).body.totals.costUsd as number;
    const budget = Math.ceil(((spent * 1.45) / 0.8) * 1e6) / 1e6;
    const patched = await call('PATCH', '/v1/admin/tenants/metrics-capped-co', {
      overrides: { monthlyBudgetUsd: budget },
    });
    expect(patched.status).toBe(200);
    const third = await run(capped, bigTicket);
    expect(third.status, JSON.stringify(third.body)).toBe(200);

    const m = await scrapeMetrics(`${stack.baseUrl}/metrics`);
    expect(m.table('keel_requests_total')).toEqual({
      'task=classify-ticket,status=200': 8,
      'task=classify-ticket,status=429': 1,
      'task=answer,status=403': 1,
      'task=unknown,status=404': 1,
    });
    expect(m.family('keel_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(
      m.count('keel_request_duration_seconds', { task: 'classify-ticket', status: '200' }),
    ).toBe(8);
    expect(m.table('keel_admission_refusals_total')).toEqual({
      'reason=rate-limited,plan=metrics-tiny': 1,
      'reason=task-not-in-plan,plan=free': 1,
    });
    expect(m.table('keel_budget_threshold_events_total')).toEqual({
      'plan=metrics-capped,threshold=0.8': 1,
    });
    expect(m.table('keel_cache_hits_total')).toEqual({ 'task=classify-ticket': 1 });

    // Model calls: what the worker inside this process made, equal to the upstream's own log.
    const upstream = upstreamTotals();
    expect(upstream.calls).toBe(7);
    expect(m.table('keel_model_calls_total')).toEqual({ 'provider=openai,model=ok,outcome=ok': 7 });
    expect(m.count('keel_model_call_duration_seconds', { provider: 'openai', model: 'ok' })).toBe(
      7,
    );
    expect(m.table('keel_model_tokens_total')).toEqual({
      'provider=openai,model=ok,direction=input': upstream.input,
      'provider=openai,model=ok,direction=output': upstream.output,
    });
    expect(m.value('keel_model_cost_usd_total')).toBeCloseTo(upstream.costUsd, 9);
    // Every sync task answered: none in flight; and the process's own metrics are there.
    expect(m.value('keel_tasks_in_flight')).toBe(0);
    expect(m.family('keel_process_cpu_seconds_total')?.type).toBe('COUNTER');
    expect(m.family('keel_nodejs_eventloop_lag_seconds')?.type).toBe('GAUGE');
    // Bounded labels: no tenant or key id anywhere in the exposition.
    const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(text).not.toMatch(/metrics-(tiny|capped|free)-co|keel_live_/);
    // KEEL_METRICS_TENANT_LABEL is off by default: no series has a tenant label at all.
    expect(text).not.toContain('tenant=');
  });
});

describe('rules, fallbacks, degradations, breakers, reviews; labelled by tenant when turned on', () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    mock.clearAttempts();
    // A breaker that opens after 4 failed calls and stays open through the test.
    const config = mockUpstreamConfigWith({
      breaker: { minRequests: 4, failureRate: 0.5, openMs: 120_000 },
    });
    stack = await startEmbeddedStack({
      ...upstreamEnv(mock.url, config),
      KEEL_METRICS_TENANT_LABEL: 'true',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const scrape = () => scrapeMetrics(`${stack.baseUrl}/metrics`);

  it('counts a broken rule, fallbacks and a degradation by the codes the results carry, and shows an open breaker', async () => {
    const { call, tenant, run } = client(stack);
    // The first answer breaks classify-ticket's confidence rule (action next): the second answers.
    const broken = await run(undefined, ticket(21), 'classify-ticket', {
      route: ['openai:rule-violation', 'openai:ok'],
    });
    expect(broken.body.meta).toMatchObject({ path: 'fallback', model: 'ok' });
    // The result names each reason line's code: what the metrics count, never the wording.
    expect(broken.body.meta.reasonCodes).toEqual(['invalid-answer']);
    // A 429 (no Retry-After, both attempts refused): the second candidate answers.
    const limited = await run(undefined, ticket(20), 'classify-ticket', {
      route: ['openai:429-bare', 'openai:ok'],
    });
    expect(limited.body.meta).toMatchObject({ path: 'fallback', reasonCodes: ['rate-limit'] });
    // A 503 twice (two attempts each, four failures): two fallbacks, then the breaker opens.
    for (const n of [22, 23]) {
      const res = await run(undefined, ticket(n), 'classify-ticket', {
        route: ['openai:503', 'openai:ok'],
      });
      expect(res.body.meta).toMatchObject({ path: 'fallback', reasonCodes: ['server-error'] });
    }
    // A tenant's own request: an invalid key upstream and no other candidate, so it degrades to
    // the task's deterministic fallback.
    const key = await tenant('metrics-label-co', 'free');
    const degraded = await run(key, ticket(24), 'classify-ticket', { route: ['openai:401'] });
    expect(degraded.status, JSON.stringify(degraded.body)).toBe(200);
    expect(degraded.body.meta).toMatchObject({
      path: 'degraded',
      reasonCodes: ['provider-error'],
    });

    // The API reads the breaker entities for GET /v1/providers: once it sees 503 open, so does
    // the gauge.
    await waitFor(
      'the breaker to open',
      async () =>
        (await call('GET', '/v1/providers')).body.providers.find(
          (p: any) => p.provider === 'openai' && p.model === '503',
        )?.state === 'open',
      { timeoutMs: 15_000 },
    );
    // Now the open circuit skips 503 without a call: a fallback for that reason.
    const skipped = await run(undefined, ticket(25), 'classify-ticket', {
      route: ['openai:503', 'openai:ok'],
    });
    expect(skipped.body.meta).toMatchObject({ path: 'fallback', reasonCodes: ['circuit-open'] });
    const m = await scrape();
    expect(m.table('keel_validation_failures_total')).toEqual({
      'task=classify-ticket,layer=rules,rule=confidence-at-least-tenant-minimum': 1,
    });
    expect(m.table('keel_fallbacks_total')).toEqual({
      'task=classify-ticket,reason=invalid-answer,tenant=demo': 1,
      'task=classify-ticket,reason=rate-limit,tenant=demo': 1,
      'task=classify-ticket,reason=server-error,tenant=demo': 2,
      'task=classify-ticket,reason=circuit-open,tenant=demo': 1,
    });
    expect(m.table('keel_degradations_total')).toEqual({
      'task=classify-ticket,reason=provider-error,tenant=metrics-label-co': 1,
    });
    expect(m.value('keel_breaker_state', { provider: 'openai', model: '503' })).toBe(2);
    expect(m.value('keel_breaker_state', { provider: 'openai', model: 'ok' })).toBe(0);
    // With the switch on, requests and cost carry the tenant too (the demo key's and the new one's).
    expect(m.table('keel_requests_total')).toEqual({
      'task=classify-ticket,status=200,tenant=demo': 5,
      'task=classify-ticket,status=200,tenant=metrics-label-co': 1,
    });
    expect(m.samples('keel_model_cost_usd_total', { tenant: 'demo' })).not.toEqual([]);
  });

  it('shows a task held for review in the gauge until its decision', async () => {
    const { call, run } = client(stack);
    const held = await run(undefined, ticket(25), 'classify-ticket', {
      route: ['openai:ok'],
      review: 'always',
    });
    expect(held.status).toBe(202);
    const jobId = held.body.jobId as string;
    const awaiting = async () => (await scrape()).value('keel_tasks_awaiting_review');
    // Counted from visibility at most every few seconds: polled, not read once.
    await waitFor('the held task in the gauge', async () => (await awaiting()) === 1, {
      timeoutMs: 30_000,
    });
    const decided = await call('POST', `/v1/reviews/${jobId}`, { decision: 'approve' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    await waitFor('the gauge to drop it', async () => (await awaiting()) === 0, {
      timeoutMs: 30_000,
    });
    expect((await call('GET', `/v1/jobs/${jobId}`)).body.status).toBe('completed');
  });
});

describe('an API process and a worker process', () => {
  let stack: Stack;
  let workerUrl: string;
  let temporalUrl: string;
  beforeAll(async () => {
    mock.clearAttempts();
    const workerPort = await freePort();
    const temporalPort = await freePort();
    workerUrl = `http://127.0.0.1:${workerPort}/metrics`;
    temporalUrl = `http://127.0.0.1:${temporalPort}/metrics`;
    stack = await startStack({
      ...upstreamEnv(mock.url),
      KEEL_METRICS_TOKEN: TOKEN,
      KEEL_WORKER_METRICS_PORT: String(workerPort),
      KEEL_TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${temporalPort}`,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('asks for KEEL_METRICS_TOKEN on both, and each shows its own side', async () => {
    const api = `${stack.baseUrl}/metrics`;
    for (const url of [api, workerUrl]) {
      expect((await fetch(url)).status, url).toBe(401);
      const wrong = await fetch(url, { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status, url).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const denied = await fetch(api);
    expect(denied.headers.get('content-type')).toContain('application/problem+json');

    const { run } = client(stack);
    expect(
      (await run(undefined, ticket(1), 'classify-ticket', { route: ['openai:ok'] })).status,
    ).toBe(200);
    const ok = await fetch(api, { headers: { authorization: `Bearer ${TOKEN}` } });
    // The exposition format's content type (Express orders its parameters its own way).
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const apiSide = new Scrape(await ok.text());
    const workerSide = await scrapeMetrics(workerUrl, TOKEN);
    expect(apiSide.table('keel_requests_total')).toEqual({ 'task=classify-ticket,status=200': 1 });
    // The model call ran in the worker process: its metrics are there, not in the API's.
    const upstream = upstreamTotals();
    expect(upstream.calls).toBe(1);
    expect(workerSide.table('keel_model_calls_total')).toEqual({
      'provider=openai,model=ok,outcome=ok': 1,
    });
    expect(workerSide.value('keel_model_tokens_total', { direction: 'input' })).toBe(
      upstream.input,
    );
    expect(workerSide.value('keel_model_tokens_total', { direction: 'output' })).toBe(
      upstream.output,
    );
    expect(apiSide.samples('keel_model_calls_total')).toEqual([]);
    expect(workerSide.samples('keel_requests_total')).toEqual([]);
    expect(workerSide.family('keel_process_resident_memory_bytes')).toBeDefined();
    // The Temporal SDK's runtime serves its own worker metrics where it was told to.
    const temporal = new Scrape(await (await fetch(temporalUrl)).text());
    expect([...temporal.families.keys()].filter((n) => n.startsWith('temporal_'))).not.toEqual([]);
  });
});
