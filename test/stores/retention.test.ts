import { describe, expect, it } from 'vitest';
import type { TenantStore } from '../../shared/tenancy/store';
import { useStoreSuite, type StoreKind } from '../support/store-suite';

/**
 * Retention's pruning (store.pruneTenantData, migration 0009) on a real SQLite file and a real
 * PostgreSQL: a tenant's rows of what ended before the cut-off go; what is still running, what is
 * newer, another tenant's rows and the audit trail stay.
 */

const { open } = useStoreSuite('retention');

const OLD = 1_000_000;
const CUT = 3_000_000;
const NEW = 5_000_000;

const usageEntry = (tenantId: string, jobId: string, at: number) => ({
  at,
  tenantId,
  keyId: null,
  jobId,
  task: 'classify-ticket',
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptVersion: 'v1',
  inputTokens: 10,
  outputTokens: 5,
  cachedInputTokens: 0,
  costMicros: 100,
  outcome: 'ok' as const,
});

/** The same rows for each tenant: old and ended, old and still running, new. */
async function fill(store: TenantStore, t: string): Promise<void> {
  await store.recordUsage(usageEntry(t, `${t}-old`, OLD));
  await store.recordUsage(usageEntry(t, `${t}-new`, NEW));
  for (const [job, at] of [
    [`${t}-old`, OLD],
    [`${t}-new`, NEW],
  ] as const)
    await store.recordJobOutcome({
      jobId: job,
      tenantId: t,
      keyId: null,
      task: 'classify-ticket',
      provider: 'openai',
      model: 'gpt-4o-mini',
      valid: true,
      status: 'completed',
      completedAt: at,
    });
  const event = (subject: string, type: 'job.completed' | 'review.requested', at: number) =>
    store.events.append(
      { tenantId: t, subject, type, data: {}, key: `${type}:${subject}:${at}` },
      at,
    );
  await event(`${t}-old`, 'review.requested', OLD - 10);
  const ended = await event(`${t}-old`, 'job.completed', OLD);
  // A job waiting for a review since long before the cut-off: its stream stays whole.
  await event(`${t}-waiting`, 'review.requested', OLD);
  await event(`${t}-new`, 'job.completed', NEW);
  await store.events.append(
    { tenantId: t, subject: t, type: 'budget.threshold', data: {}, key: `budget:${t}` },
    OLD,
  );

  const ep = await store.webhooks.createEndpoint(
    {
      id: `wh-${t}`,
      tenantId: t,
      url: 'https://hooks.example.com/x',
      events: ['job.completed'],
      description: '',
      secret: 'whsec_x',
    },
    OLD,
  );
  await store.webhooks.ensureDelivery(ep, ended, `dl-${t}-old-done`, OLD);
  await store.webhooks.finishDelivery(`dl-${t}-old-done`, 'delivered');
  await store.webhooks.ensureDelivery(
    ep,
    { ...ended, id: ended.id + 1e6 },
    `dl-${t}-old-pending`,
    OLD,
  );
  await store.webhooks.ensureDelivery(ep, { ...ended, id: ended.id + 2e6 }, `dl-${t}-new`, NEW);
  await store.webhooks.finishDelivery(`dl-${t}-new`, 'delivered');

  const observed = {
    task: 'classify-ticket',
    provider: 'openai',
    model: 'ok',
    promptVersion: 'classify-ticket@1',
    validationFailed: false,
    refused: false,
  };
  await store.drift.record(t, observed, OLD);
  await store.drift.record(t, observed, NEW);
  for (const [jobId, at] of [
    [`${t}-old`, OLD],
    [`${t}-new`, NEW],
  ] as const)
    await store.evaluations.record({
      jobId,
      tenantId: t,
      task: 'classify-ticket',
      provider: 'openai',
      model: 'ok',
      promptVersion: 'classify-ticket@1',
      at,
      unfaithful: false,
      score: 0.95,
      unsafe: false,
      error: null,
      costMicros: 500,
      verifier: 'openai:ok',
    });

  for (const [id, finishedAt] of [
    [`b-${t}-old`, OLD],
    [`b-${t}-running`, undefined],
    [`b-${t}-new`, NEW],
  ] as const) {
    await store.batches.insertItems(
      id,
      [0, 1, 2].map((index) => ({ index, jobId: `${id}-${index}`, input: { n: index } })),
    );
    await store.batches.create({
      id,
      tenantId: t,
      task: 'classify-ticket',
      options: {},
      total: 3,
      invalid: 0,
      fingerprint: 'f',
      createdAt: OLD,
    });
    if (finishedAt !== undefined) await store.batches.finish(id, 'completed', finishedAt);
  }
}

describe.each<StoreKind>(['sqlite', 'postgres'])('retention pruning on %s', (kind) => {
  it('prunes what ended before the cut-off, keeps the rest and the other tenant', async () => {
    const store = await open(kind);
    await fill(store, 'short');
    await fill(store, 'long');
    await store.audit.append(
      { key: 'k1', tenantId: 'short', actor: 'system:worker', action: 'job.completed' },
      OLD,
    );

    expect(await store.pruneTenantData('short', CUT)).toEqual({
      usage_ledger: 1,
      job_outcomes: 1,
      // The ended job's two events and the tenant-wide one; not the waiting job's.
      events: 3,
      // Delivered and old; the old pending one is still being tried.
      webhook_deliveries: 1,
      batch_items: 3,
      batches: 1,
      // The old observation; the new one and the other tenant's stay.
      drift_observations: 1,
      // The old evaluation; the new one stays.
      evaluations: 1,
      // Without payload keys the audit trail is never pruned (audit-retention.test.ts prunes it).
      audit_records: 0,
    });
    // Again: nothing left to prune.
    expect(Object.values(await store.pruneTenantData('short', CUT))).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);

    const calls = async (tenantId: string) =>
      (await store.usage({ tenantId, from: 0, to: NEW * 2, groupBy: [] }))[0];
    expect(await calls('short')).toMatchObject({ calls: 1, jobs: 1 });
    expect(await calls('long')).toMatchObject({ calls: 2, jobs: 2 });

    expect(await store.events.after('short-old', 0)).toEqual([]);
    expect(await store.events.after('short-waiting', 0)).toHaveLength(1);
    expect(await store.events.after('short-new', 0)).toHaveLength(1);
    expect(await store.events.after('short', 0)).toEqual([]);
    expect(await store.events.after('long-old', 0)).toHaveLength(2);
    expect(await store.events.after('long', 0)).toHaveLength(1);

    expect(await store.webhooks.getDelivery('dl-short-old-done')).toBeUndefined();
    expect((await store.webhooks.getDelivery('dl-short-old-pending'))?.state).toBe('pending');
    expect(await store.webhooks.getDelivery('dl-short-new')).toBeDefined();
    expect(await store.webhooks.getDelivery('dl-long-old-done')).toBeDefined();
    expect(await store.webhooks.getEndpoint('wh-short')).toBeDefined();

    expect(await store.batches.get('b-short-old')).toBeUndefined();
    expect(await store.batches.items('b-short-old', -1, 10)).toEqual([]);
    expect(await store.batches.get('b-short-running')).toBeDefined();
    expect(await store.batches.items('b-short-running', -1, 10)).toHaveLength(3);
    expect(await store.batches.get('b-short-new')).toBeDefined();
    expect(await store.batches.get('b-long-old')).toBeDefined();

    // The audit trail stays, and still verifies.
    expect((await store.audit.verify({ tenantId: 'short' })).ok).toBe(true);
    expect((await store.audit.list('short', { limit: 10 })).items).toHaveLength(1);
  });
});
