import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardBody } from '../../shared/contracts/dashboard';
import { TenantStore } from '../../shared/tenancy/store';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startTs, stop, waitFor } from '../support/processes';
import { startReplicas, type ApiReplica, type ReplicaSet } from '../support/replicas';
import { upstreamEnv } from '../support/upstream-env';

/**
 * The operator dashboard across processes (docs/dashboard.md): two API processes and one worker
 * process on one task queue and one tenant store (SQLite under the shared data dir), against
 * the suite's Temporal dev server and the mock upstream. Traffic sent only through the second
 * API shows in the first API's `GET /v1/admin/dashboard` (requests and latency from the second
 * API's row, model calls and validation from the worker's), though the first API itself counted
 * none of it. A worker that stops takes its row with it and its counts leave the figures, none
 * going negative; a new worker process counts from zero.
 */

const SHARE_MS = 1_000;
const ALLOWED_LABELS = ['layer', 'le', 'model', 'outcome', 'provider', 'status', 'task'];

let mock: MockUpstream;
let set: ReplicaSet;
let store: TenantStore;
/** Model calls one rule-violation request makes (its re-ask included), seen in the first test. */
let perViolation = 0;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  set = await startReplicas(
    {
      ...upstreamEnv(mock.url),
      KEEL_METRICS_SHARE_MS: String(SHARE_MS),
      // A tenant label on the counters: it must never reach the shared rows.
      KEEL_METRICS_TENANT_LABEL: 'true',
    },
    { apis: 2, workers: 1 },
  );
  // The test's own view of the store (what an operator's SQL would see).
  store = await TenantStore.open({ sqlitePath: path.join(set.env.KEEL_DATA_DIR!, 'keel.db') });
}, 180_000);

afterAll(async () => {
  await store?.close();
  await set?.stop();
  await mock?.close();
});

const api = (i: number): ApiReplica => set.apis[i]!;

async function dashboard(i: number): Promise<DashboardBody> {
  const res = await api(i).call('/v1/admin/dashboard');
  expect(res.status).toBe(200);
  return (await res.json()) as DashboardBody;
}

/** classify-ticket through one mock model, sent to API `i`; the answer's status. */
async function classify(i: number, model: string, n: number): Promise<number> {
  const res = await api(i).call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: 'Refund', body: `Charged twice, order ${n}` },
      options: { route: [`openai:${model}`] },
    }),
  });
  return res.status;
}

const calls = (d: DashboardBody, model: string): number =>
  d.modelCalls.find((m) => m.provider === 'openai' && m.model === model)?.calls ?? 0;

/** Every count and rate the dashboard shows: none may be negative. */
function noneNegative(d: DashboardBody): void {
  expect(d.requests.inWindow).toBeGreaterThanOrEqual(0);
  expect(d.requests.perSecond ?? 0).toBeGreaterThanOrEqual(0);
  for (const p of d.series) expect(p.requestsPerSecond).toBeGreaterThanOrEqual(0);
  for (const m of d.modelCalls) expect(m.inWindow).toBeGreaterThanOrEqual(0);
  for (const v of d.validationFailures) expect(v.inWindow).toBeGreaterThanOrEqual(0);
}

describe('the dashboard over two APIs and a worker process', () => {
  it('shows in the first API the traffic the second API and the worker handled', async () => {
    await waitFor(
      'all three processes share their metrics',
      async () => (await store.metricShares.fresh(Date.now() - 3 * SHARE_MS)).length === 3,
      { timeoutMs: 30_000 },
    );
    const statuses: number[] = [];
    for (let n = 0; n < 3; n++) statuses.push(await classify(1, 'ok', n));
    statuses.push(await classify(1, 'rule-violation', 9));
    expect(statuses).toEqual([200, 200, 200, 200]); // the rule violation degrades, as documented

    let seen: DashboardBody | undefined;
    await waitFor(
      'the first API’s dashboard counts the second API’s answers and the worker’s calls',
      async () => {
        seen = await dashboard(0);
        return (
          seen.requests.total >= 4 &&
          calls(seen, 'ok') >= 3 &&
          calls(seen, 'rule-violation') >= 1 &&
          seen.validationFailures.some((v) => v.task === 'classify-ticket' && v.layer === 'rules')
        );
      },
      { timeoutMs: 30_000 },
    );
    const d = seen!;
    perViolation = calls(d, 'rule-violation');
    expect(d.requests.byStatus['200']).toBe(4);
    expect(d.latency.find((l) => l.task === 'classify-ticket')?.requests).toBeGreaterThan(0);
    expect(d.processes.map((p) => `${p.role}${p.self ? ' (self)' : ''}`).sort()).toEqual([
      'api',
      'api (self)',
      'worker',
    ]);
    noneNegative(d);

    // Not counted by the first API itself: its own registry never saw these requests or calls.
    const own = await (await api(0).call('/metrics', { key: null })).text();
    expect(own).not.toMatch(/keel_requests_total\{[^}]*task="classify-ticket"/);
    expect(own).not.toMatch(/keel_model_calls_total\{/);
  });

  it('writes no tenant and only bounded labels to the rows', async () => {
    const rows = await store.metricShares.fresh(Date.now() - 3 * SHARE_MS);
    expect(rows.map((r) => r.role).sort()).toEqual(['api', 'api', 'worker']);
    const text = JSON.stringify(rows.map((r) => r.metrics));
    expect(text).not.toMatch(/"demo"|tenant/);
    const labels = new Set<string>();
    for (const m of rows.flatMap((r) => r.metrics as { values: { labels: object }[] }[]))
      for (const v of m.values) for (const k of Object.keys(v.labels)) labels.add(k);
    expect([...labels].every((k) => ALLOWED_LABELS.includes(k))).toBe(true);
  });

  it('drops a stopped worker’s counts without a negative figure; a new worker counts from zero', async () => {
    const [worker] = set.workers;
    expect(await stop(worker!)).toBe(0);
    // A clean stop deletes the row at once.
    expect((await store.metricShares.fresh(0)).map((r) => r.role).sort()).toEqual(['api', 'api']);
    await waitFor(
      'the worker’s counts leave the first API’s dashboard',
      async () => {
        const d = await dashboard(0);
        noneNegative(d);
        return d.processes.length === 2 && d.modelCalls.length === 0;
      },
      { timeoutMs: 30_000 },
    );

    const fresh = startTs('worker/main.ts', set.env);
    set.workers.push(fresh);
    await waitFor(
      'the new worker shares its metrics',
      async () => (await store.metricShares.fresh(Date.now() - 3 * SHARE_MS)).length === 3,
      { timeoutMs: 60_000, process: fresh },
    );
    expect(await classify(1, 'rule-violation', 10)).toBe(200);
    await waitFor(
      'the new worker’s calls show, counted from zero',
      async () => {
        const d = await dashboard(0);
        noneNegative(d);
        // The requests the APIs answered stay (the APIs did not restart): 4 before, 1 now.
        return (
          calls(d, 'rule-violation') === perViolation &&
          calls(d, 'ok') === 0 &&
          d.requests.total === 5
        );
      },
      { timeoutMs: 30_000 },
    );
  });
});
