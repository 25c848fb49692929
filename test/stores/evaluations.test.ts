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

  it('a series in evaluation order (time, then job id): first, latest after a place, tenants, series', async () => {
    const store = await open(freshTarget(kind));
    const series = {
      task: 'classify-ticket',
      provider: 'openai',
      model: 'ok',
      promptVersion: 'classify-ticket@1',
    };
    // j1..j6 one ms apart, j7 and j0 at j6's time (job id breaks the tie); other series beside.
    for (let i = 1; i <= 6; i++)
      await store.evaluations.record(
        row(`j${i}`, { at: DAY1 + i, unfaithful: i > 4 ? true : i === 3 ? null : false }),
      );
    await store.evaluations.record(row('j7', { at: DAY1 + 6, unsafe: true, tenantId: 'globex' }));
    await store.evaluations.record(row('j0', { at: DAY1 + 6 }));
    await store.evaluations.record(row('x1', { model: 'other', at: DAY1 }));
    await store.evaluations.record(row('x2', { promptVersion: 'classify-ticket@2', at: DAY1 }));

    const first = await store.evaluations.first(series, 3);
    expect(first).toEqual([
      { jobId: 'j1', at: DAY1 + 1, unfaithful: false, unsafe: false },
      { jobId: 'j2', at: DAY1 + 2, unfaithful: false, unsafe: false },
      { jobId: 'j3', at: DAY1 + 3, unfaithful: null, unsafe: false },
    ]);
    const latest = await store.evaluations.latest(series, first.at(-1)!, 4);
    expect(latest.map((e) => e.jobId)).toEqual(['j7', 'j6', 'j0', 'j5']);
    expect(latest[0]).toMatchObject({ unsafe: true });
    expect(await store.evaluations.latest(series, latest[0]!, 4)).toEqual([]);
    expect(await store.evaluations.tenantsSince(series, { at: DAY1 + 6, jobId: 'j6' })).toEqual([
      'acme',
      'globex',
    ]);
    expect(await store.evaluations.tenantsSince(series, { at: DAY1 + 6, jobId: 'j7' })).toEqual([
      'globex',
    ]);
    expect(await store.evaluations.tenantsSince(series, first[0]!)).toEqual(['acme', 'globex']);
    expect(
      (await store.evaluations.series({ task: 'classify-ticket' })).map((s) => [
        s.model,
        s.promptVersion,
        s.observations,
      ]),
    ).toEqual([
      ['ok', 'classify-ticket@1', 8],
      ['ok', 'classify-ticket@2', 1],
      ['other', 'classify-ticket@1', 1],
    ]);
    expect(await store.evaluations.series({ model: 'other' })).toMatchObject([{ model: 'other' }]);
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
