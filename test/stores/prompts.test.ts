import { describe, expect, it } from 'vitest';
import { useStoreSuite, type StoreKind } from '../support/store-suite';

/** The prompt registry's rows, rollouts and per-version figures on real SQLite and PostgreSQL. */

const { open, freshTarget } = useStoreSuite('prompts');
const NOW = Date.UTC(2026, 11, 7, 12);
const version = { system: 'Classify.', userTemplate: '{{input}}', createdBy: 'key:k1', now: NOW };

describe.each<StoreKind>(['sqlite', 'postgres'])('prompt registry on %s', (kind) => {
  it('numbers versions per task and scope; lists the global ones beside a tenant’s own', async () => {
    const store = await open(freshTarget(kind));
    await store.createTenant(
      { id: 'acme', name: 'Acme', planId: 'pro', status: 'active', overrides: {} },
      NOW,
    );
    const task = 'classify-ticket';
    const g1 = await store.prompts.create({ ...version, task, tenantId: null });
    const a1 = await store.prompts.create({
      ...version,
      task,
      tenantId: 'acme',
      note: 'ours',
      now: NOW + 1,
    });
    const g2 = await store.prompts.create({ ...version, task, tenantId: null, now: NOW + 2 });
    // Two writers at once: each gets a number of its own.
    const racing = await Promise.all(
      [0, 1, 2].map(() => store.prompts.create({ ...version, task: 'summarize', tenantId: null })),
    );
    expect([g1.id, a1.id, g2.id]).toEqual([
      'classify-ticket@r1',
      'classify-ticket@acme.r1',
      'classify-ticket@r2',
    ]);
    expect(racing.map((v) => v.id).sort()).toEqual([
      'summarize@r1',
      'summarize@r2',
      'summarize@r3',
    ]);
    expect((await store.prompts.list(task, null)).map((v) => v.id)).toEqual([g1.id, g2.id]);
    expect((await store.prompts.list(task, 'acme')).map((v) => v.id)).toEqual([
      g1.id,
      a1.id,
      g2.id,
    ]);
    expect(await store.prompts.version(a1.id)).toMatchObject({ tenantId: 'acme', note: 'ours' });

    // Resolution: the tenant's rollout, else the global one, else the built-in version.
    const resolve = (tenantId: string) =>
      store.prompts.resolve({ task, builtIn: 'classify-ticket@1', tenantId });
    expect(await resolve('acme')).toBe('classify-ticket@1');
    await store.prompts.setRollout(
      task,
      null,
      {
        stickiness: 'tenant',
        versions: [{ version: g2.id, percent: 100 }],
      },
      NOW,
    );
    expect(await resolve('acme')).toBe(g2.id);
    await store.prompts.setRollout(
      task,
      'acme',
      {
        stickiness: 'tenant',
        versions: [{ version: a1.id, percent: 100 }],
      },
      NOW,
    );
    expect(await resolve('acme')).toBe(a1.id);
    expect(await resolve('other')).toBe(g2.id);
    await store.prompts.setRollout(task, 'acme', undefined, NOW);
    expect(await resolve('acme')).toBe(g2.id);
    expect(await store.prompts.rollout(task, null)).toMatchObject({ tenantId: null });

    // Erasure takes the tenant's overrides, never the global versions.
    await store.prompts.setRollout(
      task,
      'acme',
      {
        stickiness: 'key',
        versions: [{ version: a1.id, percent: 100 }],
      },
      NOW,
    );
    const erased = await store.eraseTenantData('acme');
    expect(erased).toMatchObject({ prompt_versions: 1, prompt_rollouts: 1 });
    expect((await store.prompts.list(task, 'acme')).map((v) => v.id)).toEqual([g1.id, g2.id]);
  });

  it('per-version figures: outcomes (valid, re-ask, review, p50) beside the ledger', async () => {
    const store = await open(freshTarget(kind));
    const task = 'classify-ticket';
    const outcome = (i: number, v: string, extra: object) =>
      store.recordJobOutcome({
        jobId: `job-${v}-${i}`,
        tenantId: i % 2 ? 't1' : 't2',
        keyId: null,
        task,
        provider: 'openai',
        model: 'ok',
        valid: true,
        status: 'completed',
        completedAt: NOW + i,
        promptVersion: v,
        path: 'primary',
        latencyMs: 100 * (i + 1),
        reasked: false,
        ...extra,
      });
    for (let i = 0; i < 4; i++) await outcome(i, 'classify-ticket@r1', {});
    await outcome(4, 'classify-ticket@r1', { reasked: true, path: 'review' });
    await outcome(5, 'classify-ticket@1', { valid: false, path: 'degraded' });
    await store.recordUsage(
      {
        at: NOW,
        tenantId: 't1',
        keyId: null,
        jobId: 'job-1',
        task,
        provider: 'openai',
        model: 'ok',
        promptVersion: 'classify-ticket@r1',
        inputTokens: 100,
        outputTokens: 20,
        cachedInputTokens: 0,
        costMicros: 1_500,
        outcome: 'ok',
      },
      { id: 'call-1' },
    );
    const all = await store.prompts.stats(task, undefined);
    expect(all).toEqual([
      expect.objectContaining({
        version: 'classify-ticket@1',
        jobs: 1,
        validAnswers: 0,
        degraded: 1,
        calls: 0,
      }),
      expect.objectContaining({
        version: 'classify-ticket@r1',
        jobs: 5,
        validAnswers: 5,
        reasked: 1,
        reviewed: 1,
        latencyP50Ms: 300,
        calls: 1,
        inputTokens: 100,
        costMicros: 1_500,
      }),
    ]);
    const t1 = await store.prompts.stats(task, 't1');
    expect(t1.find((r) => r.version === 'classify-ticket@r1')).toMatchObject({
      jobs: 2, // jobs 1 and 3
      latencyP50Ms: 200,
      calls: 1,
    });
  });
});
