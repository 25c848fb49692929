import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePayloadKey } from '../../shared/platform/payload-codec';
import { tenantStorePath } from '../../shared/tenancy/open';
import { TenantStore } from '../../shared/tenancy/store';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import {
  startEmbeddedStack,
  startStack,
  upstreamEnv,
  type EmbeddedStack,
  type Stack,
} from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Webhooks end to end: the API and a worker process against the suite's Temporal dev server, a
 * real HTTP receiver on 127.0.0.1 (allowed with KEEL_WEBHOOK_ALLOW_PRIVATE=true; retries start at
 * 200 ms so the schedule runs in seconds), signatures checked with the Standard Webhooks
 * reference library. A second deployment with the default (private destinations refused)
 * checks the URL validation.
 */

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A webhook receiver: answers each path with its queued statuses, then 200; keeps every request. */
class Receiver {
  readonly requests: Received[] = [];
  private readonly plans = new Map<string, number[]>();
  private server?: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.requests.push({
          path,
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const status = this.plans.get(path)?.shift() ?? 200;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** `path` answers these statuses first (one per request), then 200. */
  plan(path: string, statuses: number[]): void {
    this.plans.set(path, statuses);
  }

  at(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  async waitFor(path: string, count: number): Promise<Received[]> {
    await waitFor(`${count} webhook request(s) at ${path}`, () => this.at(path).length >= count, {
      timeoutMs: 30_000,
    });
    return this.at(path);
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

type Json = any;
const ticket = { input: { subject: 'Refund', body: 'I was charged twice for my subscription' } };
const receiver = new Receiver();
let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  await receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await mock?.close();
});

describe('delivery (private destinations allowed)', () => {
  let stack: Stack;
  const { call, tenant } = tenantApi(() => stack);

  beforeAll(async () => {
    stack = await startStack({
      ...upstreamEnv(mock.url),
      KEEL_WEBHOOK_ALLOW_PRIVATE: 'true',
      KEEL_WEBHOOK_RETRY_INITIAL_MS: '200',
      // As `npm start` runs: payload keys configured, so signing secrets are sealed at rest.
      KEEL_PAYLOAD_KEYS: generatePayloadKey(),
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A tenant of its own (so no other test's endpoints hear its events) and its admin key. */
  const ownTenant = (id: string) => tenant(id, 'pro', { roles: ['caller', 'admin'] });

  async function endpoint(key: string, path: string, events = ['job.completed']) {
    const made = await call('POST', '/v1/webhooks', { url: `${receiver.url}${path}`, events }, key);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    return made.body;
  }

  async function completeTask(key: string): Promise<string> {
    const run = await call('POST', '/v1/tasks/classify-ticket', ticket, key);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    return run.body.jobId as string;
  }

  async function deliveries(key: string, id: string): Promise<Json[]> {
    const log = await call('GET', `/v1/webhooks/${id}/deliveries`, undefined, key);
    expect(log.status).toBe(200);
    return log.body.items as Json[];
  }

  /** The delivery log once its newest entry is no longer pending. */
  async function settled(key: string, id: string): Promise<Json> {
    let latest: Json;
    await waitFor(
      'the delivery to end',
      async () => {
        latest = (await deliveries(key, id))[0];
        return latest !== undefined && latest.state !== 'pending';
      },
      { timeoutMs: 30_000 },
    );
    return latest;
  }

  it('a completed task reaches the receiver as job.completed, signed as Standard Webhooks says', async () => {
    const key = await ownTenant('wh-basic');
    const hook = await endpoint(key, '/basic');
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    // The secret is shown once: never listed or read back.
    const listed = await call('GET', '/v1/webhooks', undefined, key);
    expect(listed.body.items.map((e: Json) => e.id)).toEqual([hook.id]);
    expect(JSON.stringify(listed.body)).not.toContain(hook.secret);
    // Sealed at rest: the tenant store without the payload keys cannot read it.
    const keyless = await TenantStore.open({
      sqlitePath: tenantStorePath({ dataDir: stack.env.KEEL_DATA_DIR! }),
    });
    try {
      await expect(keyless.webhooks.getEndpoint(hook.id)).rejects.toThrow(/sealed with key/);
    } finally {
      await keyless.close();
    }

    const jobId = await completeTask(key);
    const [got] = await receiver.waitFor('/basic', 1);
    const payload = new Webhook(hook.secret).verify(got!.body, got!.headers) as Json;
    expect(payload).toMatchObject({
      type: 'job.completed',
      data: { jobId, task: 'classify-ticket', status: 'completed' },
    });
    expect(Date.parse(payload.timestamp)).not.toBeNaN();
    expect(got!.headers['webhook-id']).toMatch(/^evt_\d+$/);
    // The event holds no task content.
    expect(got!.body).not.toContain('charged twice');

    const d = await settled(key, hook.id);
    expect(d).toMatchObject({
      state: 'delivered',
      attempts: 1,
      lastStatus: 200,
      eventType: 'job.completed',
      eventId: got!.headers['webhook-id'],
    });
  });

  it('a receiver failing 3 times gets the event on attempt 4, under the same webhook-id each time', async () => {
    const key = await ownTenant('wh-flaky');
    const hook = await endpoint(key, '/flaky');
    receiver.plan('/flaky', [500, 503, 502]);
    await completeTask(key);
    const got = await receiver.waitFor('/flaky', 4);
    const d = await settled(key, hook.id);
    expect(d).toMatchObject({ state: 'delivered', attempts: 4, lastStatus: 200, lastError: null });
    // One event, one id: a receiver that dedups by webhook-id sees it once.
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([d.eventId]));
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    // Each attempt is signed afresh (its own timestamp), and the last one verifies.
    expect(new Webhook(hook.secret).verify(got[3]!.body, got[3]!.headers)).toMatchObject({
      type: 'job.completed',
    });
    expect(receiver.at('/flaky')).toHaveLength(4); // nothing after the 2xx
  });

  it('during a secret rotation both the new and the previous secret verify', async () => {
    const key = await ownTenant('wh-rotate');
    const hook = await endpoint(key, '/rotate');
    const rotated = await call(
      'POST',
      `/v1/webhooks/${hook.id}/rotate-secret`,
      { overlapSeconds: 3600 },
      key,
    );
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt)).toBeGreaterThan(Date.now());

    await completeTask(key);
    const [got] = await receiver.waitFor('/rotate', 1);
    expect(got!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [rotated.body.secret, hook.secret]) {
      expect(new Webhook(secret).verify(got!.body, got!.headers)).toMatchObject({
        type: 'job.completed',
      });
    }
    // A secret never issued does not.
    const stranger = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
    expect(() => new Webhook(stranger).verify(got!.body, got!.headers)).toThrow();
  });

  it('redelivers an ended delivery on request, with the same webhook-id', async () => {
    const key = await ownTenant('wh-redeliver');
    const hook = await endpoint(key, '/redeliver');
    await completeTask(key);
    const [first] = await receiver.waitFor('/redeliver', 1);
    const d = await settled(key, hook.id);

    const again = await call(
      'POST',
      `/v1/webhooks/${hook.id}/deliveries/${d.id}/redeliver`,
      undefined,
      key,
    );
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(again.body).toMatchObject({ id: d.id, state: 'pending', redeliveries: 1 });
    const got = await receiver.waitFor('/redeliver', 2);
    expect(got[1]!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(got[1]!.body).toBe(first!.body);
    expect(await settled(key, hook.id)).toMatchObject({
      id: d.id,
      state: 'delivered',
      attempts: 2,
      redeliveries: 1,
    });
    const missing = await call(
      'POST',
      `/v1/webhooks/${hook.id}/deliveries/whd_nope/redeliver`,
      undefined,
      key,
    );
    expect(missing.status).toBe(404);
    expect(missing.body.type).toMatch(/delivery-not-found$/);
  });

  it('410 Gone ends the delivery and switches the endpoint off', async () => {
    const key = await ownTenant('wh-gone');
    const hook = await endpoint(key, '/gone');
    receiver.plan('/gone', [410]);
    await completeTask(key);
    expect(await settled(key, hook.id)).toMatchObject({
      state: 'failed',
      attempts: 1,
      lastStatus: 410,
      lastError: 'gone',
    });
    const now = await call('GET', `/v1/webhooks/${hook.id}`, undefined, key);
    expect(now.body).toMatchObject({ enabled: false, disabledReason: 'gone' });
    // Off: the next event starts no delivery.
    await completeTask(key);
    expect(await deliveries(key, hook.id)).toHaveLength(1);
    expect(receiver.at('/gone')).toHaveLength(1);
  });

  it('a tenant admin sees and changes only its own tenant’s endpoints', async () => {
    const keyA = await ownTenant('wh-iso-a');
    const keyB = await ownTenant('wh-iso-b');
    const a = await endpoint(keyA, '/iso-a');
    const b = await endpoint(keyB, '/iso-b');

    const listA = await call('GET', '/v1/webhooks', undefined, keyA);
    expect(listA.body.items.map((e: Json) => e.id)).toEqual([a.id]);
    for (const [method, path, body] of [
      ['GET', `/v1/webhooks/${b.id}`],
      ['PATCH', `/v1/webhooks/${b.id}`, { enabled: false }],
      ['DELETE', `/v1/webhooks/${b.id}`],
      ['POST', `/v1/webhooks/${b.id}/rotate-secret`, {}],
      ['GET', `/v1/webhooks/${b.id}/deliveries`],
    ] as const) {
      const res = await call(method, path, body, keyA);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.type).toMatch(/webhook-not-found$/);
    }
    // Naming another tenant is the operator's alone.
    const other = await call(
      'POST',
      '/v1/webhooks',
      { url: `${receiver.url}/x`, events: ['job.failed'], tenant: 'wh-iso-b' },
      keyA,
    );
    expect(other.status).toBe(403);
    expect(other.body.errors).toEqual([{ field: 'tenant', message: 'operator only' }]);
    // B's endpoint is untouched; the operator (the demo key) sees both.
    expect((await call('GET', `/v1/webhooks/${b.id}`, undefined, keyB)).body.enabled).toBe(true);
    const all = await call('GET', '/v1/webhooks');
    expect(all.body.items.map((e: Json) => e.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    const onlyB = await call('GET', '/v1/webhooks?tenant=wh-iso-b');
    expect(onlyB.body.items.map((e: Json) => e.id)).toEqual([b.id]);
    // Its owner deletes it; then it is gone for everyone.
    const deleted = await call('DELETE', `/v1/webhooks/${b.id}`, undefined, keyB);
    expect(deleted.status).toBe(200);
    expect(deleted.body.id).toBe(b.id);
    expect((await call('GET', `/v1/webhooks/${b.id}`)).status).toBe(404);
  });

  it('names the field of a bad body', async () => {
    const key = await ownTenant('wh-bad');
    const bad = await call(
      'POST',
      '/v1/webhooks',
      { url: `${receiver.url}/x`, events: ['job.exploded'] },
      key,
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: Json) => e.field)).toEqual(['events.0']);
    const caller = await tenant('wh-caller', 'pro', { roles: ['caller'] });
    expect((await call('GET', '/v1/webhooks', undefined, caller)).status).toBe(403);
  });
});

describe('destination validation (the default: private destinations refused)', () => {
  let stack: EmbeddedStack;
  const { call } = tenantApi(() => stack);

  beforeAll(async () => {
    stack = await startEmbeddedStack(upstreamEnv(mock.url));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost:8080/hook',
    'http://[::1]/hook',
    'https://10.0.0.5/hook',
    'https://192.168.1.10/hook',
    'http://169.254.169.254/latest/meta-data',
    'https://[fd00::1]/hook',
    'https://[fe80::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'ftp://hooks.example.com/hook',
  ])('refuses %s with a 400 naming url', async (url) => {
    const res = await call('POST', '/v1/webhooks', { url, events: ['job.completed'] });
    expect(res.status).toBe(400);
    expect(res.body.type).toMatch(/webhook-url-refused$/);
    expect(res.body.errors).toEqual([{ field: 'url', message: expect.any(String) }]);
    expect((await call('GET', '/v1/webhooks')).body.items).toEqual([]);
  });
});
