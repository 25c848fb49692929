import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { keyHash } from '../mock-upstream/key-quota';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { localActivityOf } from '../support/local-activity';
import { startEmbeddedStack, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Routing strategies and key pools, end to end: the default deployment (one API process with its
 * worker, the tenant store in SQLite) calling three OpenAI-type providers that are all the mock
 * upstream, told apart by the API key each sends (the attempt log keeps a short hash of it).
 * `lowest-cost` comes from a tenant's policy in KEEL_CONFIG, `weighted` from a plan set through
 * the admin API; the choice is in the job's history (the prepareTask marker) and the answer's
 * meta names the provider that answered.
 */
const KEYS = {
  cheap: 'sk-routing-cheap',
  pricey: 'sk-routing-pricey',
  poolA: 'sk-routing-pool-a',
  poolB: 'sk-routing-pool-b',
  poolC: 'sk-routing-pool-c',
};
/** Requests each pool key may make in the mock's window (60 s, longer than the test). */
const POOL_A_QUOTA = 3;

type Json = any;
let mock: MockUpstream;
let stack: EmbeddedStack;
let dir: string;
let connection: Connection;
let client: Client;
/** The `thrifty` tenant's key (its policy: lowest-cost). */
let thrifty: string;

beforeAll(async () => {
  mock = await startMockUpstream({
    port: 0,
    keyQuotas: {
      [KEYS.poolA]: { requests: POOL_A_QUOTA, windowMs: 60_000 },
      [KEYS.poolC]: { requests: 0, windowMs: 60_000 },
    },
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'keel-routing-'));
  const config = path.join(dir, 'keel.json');
  const provider = (name: string, keys: object) => ({
    name,
    type: 'openai',
    baseUrl: `${mock.url}/v1`,
    ...keys,
  });
  writeFileSync(
    config,
    JSON.stringify({
      providers: [
        provider('cheap', { apiKeyEnv: 'CHEAP_KEY' }),
        provider('pricey', { apiKeyEnv: 'PRICEY_KEY' }),
        provider('pool', { apiKeyEnvs: ['POOL_KEY_A', 'POOL_KEY_B'] }),
        provider('pool-out', { apiKeyEnvs: ['POOL_KEY_C', 'POOL_KEY_B'] }),
      ],
      models: [
        { provider: 'local', name: 'keel-local-1', price: { input: 0, output: 0 } },
        { provider: 'cheap', name: 'ok', price: { input: 0.1, output: 0.4 } },
        { provider: 'pricey', name: 'ok', price: { input: 5, output: 20 } },
        { provider: 'pool', name: 'ok', price: { input: 1, output: 1 } },
        { provider: 'pool-out', name: 'ok', price: { input: 1, output: 1 } },
      ],
      policies: { tenants: { thrifty: { routing: { strategy: 'lowest-cost' } } } },
    }),
  );
  stack = await startEmbeddedStack({
    KEEL_CONFIG: config,
    CHEAP_KEY: KEYS.cheap,
    PRICEY_KEY: KEYS.pricey,
    POOL_KEY_A: KEYS.poolA,
    POOL_KEY_B: KEYS.poolB,
    POOL_KEY_C: KEYS.poolC,
  });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
}, 120_000);
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
  await mock?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => mock.clearAttempts());

const { call: api, tenant } = tenantApi(() => stack);

async function classify(key: string | undefined, n: number, options: object = {}) {
  const res = await api(
    'POST',
    '/v1/tasks/classify-ticket',
    {
      input: { subject: 'Refund', body: `I was charged twice for my subscription (#${n})` },
      options: { allowDegraded: false, ...options },
    },
    key,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Which key (by its name in KEYS) each attempt carried, and how many times. */
function keyCounts(): Record<string, number> {
  const names = new Map(Object.entries(KEYS).map(([name, key]) => [keyHash(key), name]));
  const counts: Record<string, number> = {};
  for (const a of mock.attempts()) {
    const name = names.get(a.keyHash ?? '') ?? `unknown ${a.keyHash}`;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** The routing choice prepareTask recorded in the job's history. */
async function recordedRouting(jobId: string): Promise<Json> {
  const events = (await client.workflow.getHandle(jobId).fetchHistory()).events ?? [];
  const marker = events
    .map((e) => e.markerRecordedEventAttributes)
    .find((m) => localActivityOf(m)?.type === 'prepareTask');
  const result = JSON.parse(
    Buffer.from(marker!.details!.result!.payloads![0]!.data!).toString('utf8'),
  ) as { plan: { routing?: Json } };
  return result.plan.routing;
}

const PLAN_ROUTE = ['pricey:ok', 'cheap:ok', 'local:keel-local-1'];

describe('routing strategies', () => {
  it('lowest-cost (a tenant policy in KEEL_CONFIG) calls the cheaper candidate first, though listed second', async () => {
    const plan = await api('PUT', '/v1/admin/plans/pricey-first', {
      name: 'Pricey first',
      routes: { 'classify-ticket': PLAN_ROUTE },
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    thrifty = await tenant('thrifty', 'pricey-first');
    const answers = [];
    for (let n = 0; n < 5; n++) answers.push(await classify(thrifty, n));
    expect(answers.map((a) => a.meta.provider)).toEqual(Array(5).fill('cheap'));
    expect(keyCounts()).toEqual({ cheap: 5 });
    expect(await recordedRouting(answers[0].jobId)).toMatchObject({
      strategy: 'lowest-cost',
      order: ['cheap:ok', 'pricey:ok', 'local:keel-local-1'],
    });
    // Another tenant on the same plan, without the policy, keeps the route's order.
    const plain = await tenant('plain', 'pricey-first');
    mock.clearAttempts();
    expect((await classify(plain, 99)).meta.provider).toBe('pricey');
    expect(keyCounts()).toEqual({ pricey: 1 });
  });

  it('weighted (a plan set through the admin API) spreads the first calls by weight', async () => {
    const plan = await api('PUT', '/v1/admin/plans/split', {
      name: 'Split 3:1',
      routes: { 'classify-ticket': PLAN_ROUTE },
      routing: {
        default: { strategy: 'lowest-cost' },
        tasks: {
          'classify-ticket': { strategy: 'weighted', weights: { 'cheap:ok': 3, 'pricey:ok': 1 } },
        },
      },
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.routing.tasks['classify-ticket'].strategy).toBe('weighted');
    const key = await tenant('splitter', 'split');
    const N = 60;
    const answers: Json[] = [];
    for (let batch = 0; batch < N; batch += 10) {
      answers.push(
        ...(await Promise.all(Array.from({ length: 10 }, (_, i) => classify(key, batch + i)))),
      );
    }
    const counts = keyCounts();
    // One call a job (every candidate answers): the attempt log holds exactly the first picks.
    expect((counts.cheap ?? 0) + (counts.pricey ?? 0)).toBe(N);
    expect(answers.filter((a) => a.meta.provider === 'cheap')).toHaveLength(counts.cheap ?? 0);
    // 3:1 → 45 of 60 expected (σ ≈ 3.4); the bounds are 3.5σ wide, and ordered (60/0) or an
    // even split (30/30) fall outside them.
    expect(counts.cheap).toBeGreaterThanOrEqual(33);
    expect(counts.cheap).toBeLessThanOrEqual(56);
    const routing = await recordedRouting(answers[0].jobId);
    expect(routing.strategy).toBe('weighted');
    expect(routing.order[0]).toBe(`${answers[0].meta.provider}:ok`);
    expect(routing.order).toHaveLength(3);
    expect(routing.order[2]).toBe('local:keel-local-1');
  });

  it('a caller’s own route is tried in its order, whatever the plan says', async () => {
    const answer = await classify(thrifty, 100, { route: ['pricey:ok', 'cheap:ok'] });
    expect(answer.meta.provider).toBe('pricey');
    expect(keyCounts()).toEqual({ pricey: 1 });
  });
});

describe('key pools', () => {
  it('spreads calls over the keys; a key at remaining 0 is left alone until its reset', async () => {
    const N = 10;
    for (let n = 0; n < N; n++) await classify(undefined, n, { route: ['pool:ok'] });
    // Alternating A, B until A's answers said it had nothing left (after its 3rd), then B only:
    // A never got a 429.
    expect(keyCounts()).toEqual({ poolA: POOL_A_QUOTA, poolB: N - POOL_A_QUOTA });
    expect(mock.attempts().every((a) => a.status === 200)).toBe(true);
  });

  it('a key that answers 429 hands the same request to the next key, then is skipped', async () => {
    const N = 5;
    for (let n = 0; n < N; n++) {
      const answer = await classify(undefined, n, { route: ['pool-out:ok'] });
      // The 429 did not cost the job a retry: one activity attempt, answered by the other key.
      expect(answer.meta).toMatchObject({ provider: 'pool-out', attempts: 1, path: 'primary' });
    }
    expect(keyCounts()).toEqual({ poolC: 1, poolB: N });
    expect(mock.attempts()[0]).toMatchObject({ status: 429, scenario: 'key-quota' });
  });
});
