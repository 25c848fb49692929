import { describe, expect, it } from 'vitest';
import { useStoreSuite, type StoreKind } from '../support/store-suite';
import type { EvaluationRow } from '../../shared/tenancy/store';

/** Sampled evaluations' rows (docs/evaluation.md) on real SQLite and PostgreSQL. */

const { open, freshTarget } = useStoreSuite('evaluations');
const DAY1 = Date.UTC(2026, 11, 7, 12);
const DAY2 = Date.UTC(2026, 11, 8, 9);

const row = (jobId: string, over: Partial<EvaluationRow> = {}): EvaluationRow => ({
  jobId,
  tenantId: 'acme',
  task: 'classify-ticket',
  provider: 'openai',
  model: 'ok',
  promptVersion: 'classify-ticket@1',
  at: DAY1,
  unfaithful: false,
  score: 0.95,
  unsafe: false,
  error: null,
  costMicros: 556,
  verifier: 'openai:ok',
  ...over,
});

describe.each<StoreKind>(['sqlite', 'postgres'])('evaluations on %s', (kind) => {
  it('counts per model × prompt version (× day), a tenant its own, a retried record once', async () => {
    const store = await open(freshTarget(kind));
    await store.evaluations.record(row('j1'));
    await store.evaluations.record(row('j1', { unfaithful: true })); // a retry: ignored
    await store.evaluations.record(row('j2', { unfaithful: true, score: 0.2, at: DAY2 }));
    await store.evaluations.record(
      row('j3', { unfaithful: null, score: null, error: 'no verdict' }),
    );
    await store.evaluations.record(
      row('j4', { model: 'unfaithful', unfaithful: true, unsafe: true }),
    );
    await store.evaluations.record(row('j5', { tenantId: 'globex' }));
    await store.evaluations.record(row('j6', { task: 'summarize', promptVersion: 'summarize@1' }));

    const acme = await store.evaluations.counts({
      tenantId: 'acme',
      task: 'classify-ticket',
      from: DAY1 - 1,
      to: DAY2 + 1,
    });
    expect(acme).toEqual([
      {
        task: 'classify-ticket',
        provider: 'openai',
        model: 'ok',
        promptVersion: 'classify-ticket@1',
        evaluated: 3,
        judged: 2,
        unfaithful: 1,
        unsafe: 0,
        errors: 1,
        costMicros: 3 * 556,
      },
      {
        task: 'classify-ticket',
        provider: 'openai',
        model: 'unfaithful',
        promptVersion: 'classify-ticket@1',
        evaluated: 1,
        judged: 1,
        unfaithful: 1,
        unsafe: 1,
        errors: 0,
        costMicros: 556,
      },
    ]);
    const byDay = await store.evaluations.counts({
      tenantId: 'acme',
      task: 'classify-ticket',
      from: 0,
      to: DAY2 + 1,
      byDay: true,
    });
    expect(byDay.map((r) => [r.model, r.day, r.evaluated, r.unfaithful])).toEqual([
      ['ok', '2026-12-07', 2, 0],
      ['ok', '2026-12-08', 1, 1],
      ['unfaithful', '2026-12-07', 1, 1],
    ]);
    // The window is [from, to); every tenant's without a tenant (the operator).
    expect(await store.evaluations.counts({ from: DAY1, to: DAY2 })).toHaveLength(3);
    const all = await store.evaluations.counts({ task: 'classify-ticket', from: 0, to: DAY2 });
    expect(all.find((r) => r.model === 'ok')?.evaluated).toBe(3);
  });

  it('erasing a tenant deletes its evaluations, and only its own', async () => {
    const store = await open(freshTarget(kind));
    await store.evaluations.record(row('j1'));
    await store.evaluations.record(row('j2'));
    await store.evaluations.record(row('j3', { tenantId: 'globex' }));
    expect(await store.eraseTenantData('acme')).toMatchObject({ evaluations: 2 });
    expect(await store.evaluations.counts({ from: 0, to: DAY2 })).toMatchObject([{ evaluated: 1 }]);
    expect(await store.evaluations.counts({ tenantId: 'acme', from: 0, to: DAY2 })).toEqual([]);
  });
});
