import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RetentionResult } from '../../workflows/enforce-retention';
import { waitFor } from '../support/processes';
import { startEmbeddedStack, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Debug samples (docs/debug-samples.md) on the default deployment (API with its worker, the
 * in-process model, which is sent the caller's raw text) against a real Temporal dev server: a
 * tenant opted in at rate 1 gets its calls' prompts and answers with the log masker's labels
 * where its e-mail and phone were, never the values; a tenant not opted in gets none; bad
 * settings are refused naming the field; the retention run deletes samples past their own
 * period (the tenants have no job retention) and keeps the others; erasure removes them.
 */
let stack: EmbeddedStack;
let connection: Connection;
let client: Client;
beforeAll(async () => {
  stack = await startEmbeddedStack();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

type Json = any;
const DAY_MS = 24 * 3600 * 1000;
const { call, tenant } = tenantApi(() => stack);
const EMAIL = 'sam.lee@example.org';
const PHONE = '+1 415 555 0132';
const ticket = {
  subject: 'Charged twice',
  body: `I was charged twice for my subscription. Write to ${EMAIL} or call ${PHONE}.`,
};

/** A classify-ticket job of `key`'s tenant, answered: its id. */
async function job(key: string): Promise<string> {
  const res = await call('POST', '/v1/tasks/classify-ticket', { input: ticket }, key);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.jobId as string;
}

const samplesOf = async (key: string, query = ''): Promise<Json> => {
  const res = await call('GET', `/v1/admin/debug-samples${query}`, undefined, key);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

describe('debug samples', () => {
  it('refuses bad settings and queries naming the field, and changes nothing', async () => {
    const key = await tenant('strict', 'pro', { roles: ['admin'] });
    for (const [bad, field] of [
      [{ rate: 1.5, retentionDays: 7 }, 'overrides.debugSamples.rate'],
      [{ rate: -0.1, retentionDays: 7 }, 'overrides.debugSamples.rate'],
      [{ rate: 1, retentionDays: 0 }, 'overrides.debugSamples.retentionDays'],
      [{ rate: 1, retentionDays: 91 }, 'overrides.debugSamples.retentionDays'],
      [{ rate: 1, retentionDays: 1.5 }, 'overrides.debugSamples.retentionDays'],
      [{ rate: 1 }, 'overrides.debugSamples.retentionDays'],
      [{ rate: 1, retentionDays: 7, extra: true }, 'overrides.debugSamples.extra'],
      ['on', 'overrides.debugSamples'],
    ] as const) {
      const res = await call('PATCH', '/v1/admin/tenants/strict', {
        overrides: { debugSamples: bad },
      });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: Json) => e.field)).toEqual([field]);
    }
    expect((await call('GET', '/v1/admin/tenants/strict')).body.overrides).toEqual({});
    for (const [query, field] of [
      ['?limit=101', 'query.limit'],
      ['?limit=0', 'query.limit'],
      ['?from=yesterday', 'query.from'],
      ['?before=abc', 'query.before'],
      ['?task=Not%20A%20Task', 'query.task'],
      ['?tenant=strict&color=red', 'query.color'],
    ] as const) {
      const res = await call('GET', `/v1/admin/debug-samples${query}`, undefined, key);
      expect(res.status, query).toBe(400);
      expect(res.body.errors.map((e: Json) => e.field)).toContain(field);
    }
    // Another tenant's samples: 403 naming the field, whether it exists or not.
    const other = await call('GET', '/v1/admin/debug-samples?tenant=nobody', undefined, key);
    expect(other.status).toBe(403);
    expect(other.body.errors).toEqual([{ field: 'query.tenant', message: 'operator only' }]);
  });

  it('keeps an opted-in tenant’s calls masked, none of a tenant not opted in', async () => {
    const key = await tenant('sampled', 'pro', { roles: ['caller', 'admin'] });
    const plainKey = await tenant('plain', 'pro', { roles: ['caller', 'admin'] });
    // The tenant's own admin opts in.
    const optIn = await call(
      'PATCH',
      '/v1/admin/tenants/sampled',
      { overrides: { debugSamples: { rate: 1, retentionDays: 1 } } },
      key,
    );
    expect(optIn.status, JSON.stringify(optIn.body)).toBe(200);
    expect(optIn.body.overrides).toEqual({ debugSamples: { rate: 1, retentionDays: 1 } });
    // The tenant's settings are read with a second's cache.
    await new Promise((r) => setTimeout(r, 1_100));

    const ids = [await job(key), await job(key)];
    await job(plainKey);
    const page = await samplesOf(key);
    expect(page.items.map((s: Json) => s.jobId).sort()).toEqual([...ids].sort());
    const [sample] = page.items;
    expect(sample).toMatchObject({
      tenant: 'sampled',
      task: 'classify-ticket',
      provider: 'local',
      model: 'keel-local-1',
      outcome: 'ok',
      droppedMessages: 0,
    });
    expect(sample.promptVersion).toMatch(/^classify-ticket@/);
    expect(sample.latencyMs).toBeGreaterThanOrEqual(0);
    expect(sample.inputTokens).toBeGreaterThan(0);
    expect(sample.outputTokens).toBeGreaterThan(0);
    expect(Date.parse(sample.expiresAt) - Date.parse(sample.at)).toBe(DAY_MS);
    const sent = sample.messages.map((m: Json) => m.content).join('\n');
    expect(sent).toContain(
      'I was charged twice for my subscription. Write to [EMAIL] or call [PHONE].',
    );
    expect(JSON.parse(sample.output)).toMatchObject({ category: 'BILLING' });
    // Nowhere in the answer: not the e-mail, not the phone (nor its digits without spaces).
    const text = JSON.stringify(page);
    for (const value of [EMAIL, PHONE, PHONE.replace(/\s/g, '')]) expect(text).not.toContain(value);

    // Filters and pages.
    expect((await samplesOf(key, '?task=summarize')).items).toEqual([]);
    const first = await samplesOf(key, '?limit=1');
    expect(first.items).toHaveLength(1);
    const second = await samplesOf(key, `?limit=1&before=${first.next}`);
    expect(second.items[0].id).not.toBe(first.items[0].id);
    expect(
      (await samplesOf(key, `?from=${new Date(Date.now() + 60_000).toISOString()}`)).items,
    ).toEqual([]);

    // Not opted in: nothing.
    expect((await samplesOf(plainKey)).items).toEqual([]);
    // The operator sees one tenant or all.
    expect((await samplesOf(stack.apiKey, '?tenant=plain')).items).toEqual([]);
    expect((await samplesOf(stack.apiKey, '?tenant=sampled')).items).toHaveLength(2);

    // Off again: no new samples; the ones taken stay until they expire.
    const off = await call(
      'PATCH',
      '/v1/admin/tenants/sampled',
      { overrides: { debugSamples: null } },
      key,
    );
    expect(off.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_100));
    await job(key);
    expect((await samplesOf(key)).items).toHaveLength(2);
  });

  it('are pruned past their own period by the retention run, and erased with the tenant', async () => {
    const keeperKey = await tenant('keeper', 'pro', {
      roles: ['caller', 'admin'],
      extra: { overrides: { debugSamples: { rate: 1, retentionDays: 30 } } },
    });
    const goneKey = await tenant('gone', 'pro', {
      roles: ['caller', 'admin'],
      extra: { overrides: { debugSamples: { rate: 1, retentionDays: 1 } } },
    });
    await job(keeperKey);
    await job(goneKey);
    expect((await samplesOf(keeperKey)).items).toHaveLength(1);
    expect((await samplesOf(goneKey)).items).toHaveLength(1);

    // As of two days from now: past `sampled`'s one day (its two samples, though it has no job
    // retention period and samples no more), inside keeper's 30.
    const asOf = Date.now() + 2 * DAY_MS;
    const result = (await client.workflow.execute('enforceRetention', {
      taskQueue: stack.taskQueue,
      workflowId: `retention-debug-samples-${asOf}`,
      args: [{ asOf }],
    })) as RetentionResult;
    expect(result.debugSamples?.perTenant).toMatchObject({ sampled: 2, gone: 1 });
    expect(result.debugSamples?.perTenant.keeper).toBeUndefined();
    // No tenant here has a job retention period: none of their jobs or rows went.
    expect(result.perTenant).toEqual([]);
    expect((await samplesOf(stack.apiKey, '?tenant=sampled')).items).toEqual([]);
    expect((await samplesOf(keeperKey)).items).toHaveLength(1);

    // Erasure: a new sample of `gone`, then the tenant suspended and erased.
    await job(goneKey);
    expect((await samplesOf(goneKey)).items).toHaveLength(1);
    expect((await call('PATCH', '/v1/admin/tenants/gone', { status: 'suspended' })).status).toBe(
      200,
    );
    const started = await call('POST', '/v1/admin/tenants/gone/erase', { confirm: 'gone' });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    let done: Json;
    await waitFor(
      'erasure completed',
      async () => {
        done = (await call('GET', '/v1/admin/tenants/gone/erasure')).body;
        return done.status === 'completed';
      },
      { timeoutMs: 120_000 },
    );
    expect(done.result.rows.debug_samples).toBe(1);
    expect((await samplesOf(stack.apiKey, '?tenant=gone')).items).toEqual([]);
    expect((await samplesOf(keeperKey)).items).toHaveLength(1);
  }, 180_000);
});
