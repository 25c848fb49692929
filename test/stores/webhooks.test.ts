import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { generatePayloadKey, parsePayloadKeys } from '../../shared/platform/payload-codec';
import type { TenantStore } from '../../shared/tenancy/store';
import { useStoreSuite, type StoreKind } from '../support/store-suite';

/** Webhook endpoints and deliveries (migration 0006) on a real SQLite file and a real PostgreSQL. */

const { open, freshTarget } = useStoreSuite('webhooks');

const endpoint = (id: string, tenantId: string, events: Array<'job.completed' | 'job.failed'>) => ({
  id,
  tenantId,
  url: `https://hooks.example.com/${id}`,
  events,
  description: '',
  secret: `whsec_${id}`,
});

describe.each<StoreKind>(['sqlite', 'postgres'])('webhook store on %s', (kind) => {
  it('keeps endpoints per tenant; only enabled ones subscribed to a type are told', async () => {
    const store = await open(kind);
    await store.webhooks.createEndpoint(endpoint('wh_a', 'acme', ['job.completed']), 1000);
    await store.webhooks.createEndpoint(endpoint('wh_b', 'acme', ['job.failed']), 1001);
    await store.webhooks.createEndpoint(endpoint('wh_c', 'globex', ['job.completed']), 1002);
    await store.webhooks.createEndpoint(
      endpoint('wh_d', 'acme', ['job.completed', 'job.failed']),
      1003,
    );

    expect((await store.webhooks.listEndpoints('acme')).map((e) => e.id)).toEqual([
      'wh_a',
      'wh_b',
      'wh_d',
    ]);
    expect(await store.webhooks.listEndpoints()).toHaveLength(4);
    expect(await store.webhooks.countEndpoints('acme')).toBe(3);
    // Scoped by tenant: another tenant's endpoint is not found.
    expect(await store.webhooks.getEndpoint('wh_c', 'acme')).toBeUndefined();
    expect((await store.webhooks.getEndpoint('wh_c', 'globex'))?.url).toBe(
      'https://hooks.example.com/wh_c',
    );

    const told = async () =>
      (await store.webhooks.subscribers('acme', 'job.completed')).map((e) => e.id).sort();
    expect(await told()).toEqual(['wh_a', 'wh_d']);
    const off = await store.webhooks.updateEndpoint(
      'wh_d',
      { enabled: false, disabledReason: 'gone' },
      2000,
    );
    expect(off).toMatchObject({ enabled: false, disabledReason: 'gone', updatedAt: 2000 });
    expect(await told()).toEqual(['wh_a']);
    // Switched on again, Keel's reason goes.
    expect(await store.webhooks.updateEndpoint('wh_d', { enabled: true }, 2001)).toMatchObject({
      enabled: true,
      disabledReason: null,
    });
    expect(await told()).toEqual(['wh_a', 'wh_d']);
  });

  it('rotates a secret keeping the previous one with its overlap', async () => {
    const store = await open(kind);
    await store.webhooks.createEndpoint(endpoint('wh_a', 'acme', ['job.completed']), 1000);
    const rotated = await store.webhooks.rotateSecret('wh_a', 'whsec_new', 5000, 2000);
    expect(rotated).toMatchObject({
      secret: 'whsec_new',
      previousSecret: 'whsec_wh_a',
      previousExpiresAt: 5000,
    });
    const again = await store.webhooks.rotateSecret('wh_a', 'whsec_newer', 9000, 3000);
    expect(again).toMatchObject({ secret: 'whsec_newer', previousSecret: 'whsec_new' });
    expect(await store.webhooks.rotateSecret('wh_missing', 'x', 1, 1)).toBeUndefined();
  });

  it('one delivery per endpoint and event; attempts counted; a page at a time, newest first', async () => {
    const store = await open(kind);
    const ep = await store.webhooks.createEndpoint(
      endpoint('wh_a', 'acme', ['job.completed']),
      1000,
    );
    const events = [];
    for (let i = 0; i < 3; i++) {
      events.push(
        await store.events.append(
          {
            tenantId: 'acme',
            subject: `job-${i}`,
            type: 'job.completed',
            data: { jobId: `job-${i}` },
            key: `k${i}`,
          },
          1000 + i,
        ),
      );
    }
    const first = await store.webhooks.ensureDelivery(ep, events[0]!, 'whd_1', 1100);
    const twice = await store.webhooks.ensureDelivery(ep, events[0]!, 'whd_other', 1200);
    expect(twice).toEqual(first);
    expect(first).toMatchObject({ state: 'pending', attempts: 0, eventId: events[0]!.id });

    await store.webhooks.recordAttempt('whd_1', {
      at: 1300,
      state: 'pending',
      status: 503,
      error: 'http-status',
      nextAttemptAt: 1400,
    });
    const done = await store.webhooks.recordAttempt('whd_1', {
      at: 1400,
      state: 'delivered',
      status: 200,
      error: null,
      nextAttemptAt: null,
    });
    expect(done).toMatchObject({
      state: 'delivered',
      attempts: 2,
      lastStatus: 200,
      lastError: null,
      deliveredAt: 1400,
      nextAttemptAt: null,
    });
    // Finishing only ends a pending delivery; a delivered one stays delivered.
    await store.webhooks.finishDelivery('whd_1', 'failed');
    expect((await store.webhooks.getDelivery('whd_1'))?.state).toBe('delivered');

    const ctx = await store.webhooks.attemptContext('whd_1');
    expect(ctx?.event).toEqual(events[0]);
    expect(ctx?.endpoint?.id).toBe('wh_a');

    const reopened = await store.webhooks.reopenDelivery('whd_1', 1500);
    expect(reopened).toMatchObject({ state: 'pending', redeliveries: 1, attempts: 2 });

    await store.webhooks.ensureDelivery(ep, events[1]!, 'whd_2', 1600);
    await store.webhooks.ensureDelivery(ep, events[2]!, 'whd_3', 1700);
    const page1 = await store.webhooks.listDeliveries('wh_a', { limit: 2 });
    expect(page1.map((d) => d.id)).toEqual(['whd_3', 'whd_2']);
    const page2 = await store.webhooks.listDeliveries('wh_a', {
      limit: 2,
      before: { createdAt: page1[1]!.createdAt, id: page1[1]!.id },
    });
    expect(page2.map((d) => d.id)).toEqual(['whd_1']);
    expect(await store.webhooks.getDelivery('whd_1', 'wh_other')).toBeUndefined();

    // Deleting the endpoint deletes its log.
    expect(await store.webhooks.deleteEndpoint('wh_a')).toBe(true);
    expect(await store.webhooks.getDelivery('whd_2')).toBeUndefined();
    expect(await store.webhooks.deleteEndpoint('wh_a')).toBe(false);
  });
});

/** What the database itself holds in the endpoints' secret columns. */
async function storedSecrets(store: TenantStore): Promise<string[]> {
  const db = (store as unknown as { db: Kysely<unknown> }).db;
  const { rows } = await sql<{ secret: string; previous_secret: string | null }>`
    select secret, previous_secret from webhook_endpoints`.execute(db);
  return rows.flatMap((r) => [r.secret, r.previous_secret ?? '']).filter(Boolean);
}

describe.each<StoreKind>(['sqlite', 'postgres'])('webhook secrets sealed at rest on %s', (kind) => {
  it('seals with the payload keys, opens after a key rotation, and seals what was stored in clear', async () => {
    const oldKey = parsePayloadKeys(generatePayloadKey());
    const target = freshTarget(kind);
    // Written by a process without keys: in clear.
    const plain = await open(target);
    await plain.webhooks.createEndpoint(endpoint('wh_clear', 'acme', ['job.completed']), 1000);
    expect(await storedSecrets(plain)).toEqual(['whsec_wh_clear']);

    // A process with keys seals it at start, and seals what it writes.
    const keyed = await open({ ...target, secretKeys: oldKey });
    expect(await keyed.webhooks.sealStoredSecrets()).toBe(1);
    await keyed.webhooks.createEndpoint(endpoint('wh_new', 'acme', ['job.completed']), 1001);
    await keyed.webhooks.rotateSecret('wh_new', 'whsec_wh_new_2', 9_999, 1002);
    const stored = await storedSecrets(keyed);
    expect(stored).toHaveLength(3);
    for (const s of stored) {
      expect(s).toMatch(/^sealed:v1:/);
      expect(s).not.toContain('whsec_');
    }
    expect(await keyed.webhooks.getEndpoint('wh_clear')).toMatchObject({
      secret: 'whsec_wh_clear',
    });
    expect(await keyed.webhooks.getEndpoint('wh_new')).toMatchObject({
      secret: 'whsec_wh_new_2',
      previousSecret: 'whsec_wh_new',
    });

    // The keys rotated (a new primary, the old one kept): old secrets open, new ones use the new key.
    const rotated = [
      ...parsePayloadKeys(generatePayloadKey(new Date(Date.now() + 1000))),
      ...oldKey,
    ];
    const next = await open({ ...target, secretKeys: rotated });
    expect(
      (await next.webhooks.subscribers('acme', 'job.completed')).map((e) => e.secret).sort(),
    ).toEqual(['whsec_wh_clear', 'whsec_wh_new_2']);
    await next.webhooks.createEndpoint(endpoint('wh_later', 'acme', ['job.failed']), 1003);
    expect((await storedSecrets(next)).at(-1)).toContain(`sealed:v1:${rotated[0]!.id}:`);

    // Without the key that sealed them, reading fails and names the key, never a secret.
    const keyless = await open(target);
    const err = await keyless.webhooks.getEndpoint('wh_new').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe('SecretUnsealError');
    expect(err?.message).toContain(oldKey[0]!.id);
    expect(err?.message).not.toContain('whsec_');
  });
});
