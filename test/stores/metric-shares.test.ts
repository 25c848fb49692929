import { describe, expect, it } from 'vitest';
import { PRUNE_AFTER_MS } from '../../shared/tenancy/store/metric-shares';
import { useStoreSuite, type StoreKind } from '../support/store-suite';

/** Each process's dashboard metrics row (docs/dashboard.md) on real SQLite and PostgreSQL. */

const { open, freshTarget } = useStoreSuite('metric-shares');
const T0 = Date.UTC(2026, 11, 7, 22);
const counter = (value: number): unknown[] => [
  {
    name: 'keel_requests_total',
    type: 'counter',
    help: '',
    aggregator: 'sum',
    values: [{ value, labels: { task: 'summarize', status: 200 } }],
  },
];

describe.each<StoreKind>(['sqlite', 'postgres'])('metric shares on %s', (kind) => {
  it('keeps one row per process, rewritten in place, read back when fresh, deleted at a stop', async () => {
    const store = await open(freshTarget(kind));
    const shares = store.metricShares;
    await shares.publish({
      processId: 'a',
      role: 'api',
      startedAt: T0,
      updatedAt: T0,
      metrics: counter(1),
    });
    await shares.publish({
      processId: 'w',
      role: 'worker',
      startedAt: T0,
      updatedAt: T0 + 1_000,
      metrics: counter(0),
    });
    await shares.publish({
      processId: 'a',
      role: 'api',
      startedAt: T0,
      updatedAt: T0 + 5_000,
      metrics: counter(7),
    });

    const all = await shares.fresh(T0);
    expect(all.map((s) => [s.processId, s.role, s.startedAt, s.updatedAt])).toEqual([
      ['a', 'api', T0, T0 + 5_000],
      ['w', 'worker', T0, T0 + 1_000],
    ]);
    expect(all[0]!.metrics).toEqual(counter(7));
    // The worker's row is older than the limit asked for: stale, not returned.
    expect((await shares.fresh(T0 + 2_000)).map((s) => s.processId)).toEqual(['a']);

    await shares.remove('a');
    expect((await shares.fresh(T0)).map((s) => s.processId)).toEqual(['w']);
  });

  it('deletes a row left by a process gone long ago at the next publication of any other', async () => {
    const store = await open(freshTarget(kind));
    const shares = store.metricShares;
    await shares.publish({
      processId: 'dead',
      role: 'worker',
      startedAt: T0,
      updatedAt: T0,
      metrics: [],
    });
    const later = T0 + PRUNE_AFTER_MS + 1;
    await shares.publish({
      processId: 'live',
      role: 'api+worker',
      startedAt: later,
      updatedAt: later,
      metrics: [],
    });
    expect((await shares.fresh(0)).map((s) => s.processId)).toEqual(['live']);
  });
});
