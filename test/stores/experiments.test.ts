import { describe, expect, it } from 'vitest';
import { useStoreSuite, type StoreKind } from '../support/store-suite';
import type { ExperimentResult } from '../../shared/tenancy/store';

/** Shadow tests' experiments and comparison rows on real SQLite and PostgreSQL. */

const { open, freshTarget } = useStoreSuite('experiments');
const NOW = Date.UTC(2026, 11, 7, 12);

const result = (jobId: string, over: Partial<ExperimentResult> = {}): ExperimentResult => ({
  experimentId: 'exp-1',
  jobId,
  tenantId: 'acme',
  at: NOW,
  shadowValid: true,
  shadowError: null,
  agree: true,
  fields: ['category', 'confidence'],
  diffFields: [],
  liveLatencyMs: 120,
  shadowLatencyMs: 95.4,
  liveCostMicros: 500,
  shadowCostMicros: 1_250,
  shadowProvider: 'openai',
  shadowModel: 'gpt-4.1-mini',
  ...over,
});

describe.each<StoreKind>(['sqlite', 'postgres'])('experiments on %s', (kind) => {
  it('finds the running experiments covering a tenant; stop is once', async () => {
    const store = await open(freshTarget(kind));
    const base = {
      task: 'classify-ticket',
      candidatePromptId: null,
      candidateRoute: 'openai:ok',
      sampleRate: 0.25,
      createdBy: 'key:k1',
      createdAt: NOW,
    };
    await store.experiments.create({ ...base, id: 'exp-1', tenantId: 'acme' });
    await store.experiments.create({ ...base, id: 'exp-all', tenantId: null, createdAt: NOW + 1 });
    await store.experiments.create({ ...base, id: 'exp-other', tenantId: 'other' });
    await store.experiments.create({ ...base, id: 'exp-sum', tenantId: 'acme', task: 'summarize' });
    const ids = (await store.experiments.runningFor('classify-ticket', 'acme')).map((e) => e.id);
    expect(ids.sort()).toEqual(['exp-1', 'exp-all']);
    expect(await store.experiments.get('exp-1')).toMatchObject({
      tenantId: 'acme',
      sampleRate: 0.25,
      status: 'running',
      stoppedAt: null,
    });
    expect(await store.experiments.stop('exp-1', NOW + 5)).toBe(true);
    expect(await store.experiments.stop('exp-1', NOW + 6)).toBe(false);
    expect(await store.experiments.get('exp-1')).toMatchObject({
      status: 'stopped',
      stoppedAt: NOW + 5,
    });
    expect(
      (await store.experiments.runningFor('classify-ticket', 'acme')).map((e) => e.id),
    ).toEqual(['exp-all']);
    expect((await store.experiments.list({ tenantId: 'acme' })).map((e) => e.id).sort()).toEqual([
      'exp-1',
      'exp-sum',
    ]);
    expect((await store.experiments.list({ status: 'stopped' })).map((e) => e.id)).toEqual([
      'exp-1',
    ]);
  });

  it('keeps one comparison per job, reads them back, erases a tenant’s', async () => {
    const store = await open(freshTarget(kind));
    await store.createTenant(
      { id: 'acme', name: 'Acme', planId: 'pro', status: 'active', overrides: {} },
      NOW,
    );
    await store.experiments.create({
      id: 'exp-1',
      task: 'classify-ticket',
      tenantId: 'acme',
      candidatePromptId: 'classify-ticket@r2',
      candidateRoute: null,
      sampleRate: 1,
      createdBy: 'key:k1',
      createdAt: NOW,
    });
    await store.experiments.record(result('job-1'));
    // A retried activity writes the same job again: ignored.
    await store.experiments.record(result('job-1', { agree: false }));
    await store.experiments.record(
      result('job-2', { agree: null, shadowValid: false, shadowError: 'validation: schema' }),
    );
    const rows = await store.experiments.results('exp-1');
    expect(rows).toHaveLength(2);
    const byJob = Object.fromEntries(rows.map((r) => [r.jobId, r]));
    expect(byJob['job-1']).toEqual(result('job-1', { shadowLatencyMs: 95 }));
    expect(byJob['job-2']).toMatchObject({ agree: null, shadowValid: false });
    expect((await store.experiments.counts()).get('exp-1')).toBe(2);
    const erased = await store.eraseTenantData('acme');
    expect(erased).toMatchObject({ experiments: 1, experiment_results: 2 });
    expect(await store.experiments.get('exp-1')).toBeUndefined();
  });
});
