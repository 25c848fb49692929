import { describe, expect, it } from 'vitest';
import type { NewKeelEvent } from '../../shared/contracts/events';
import { DriftMonitor } from '../../shared/observability/drift-monitor';
import type { DriftObservation } from '../../shared/observability/observation';
import type { Logger } from '../../shared/platform/logger';
import { useStoreSuite, type StoreKind } from '../support/store-suite';

/** Drift detection's rows and alerts on a real SQLite file and a real PostgreSQL. */

const suite = useStoreSuite('drift');
const { open, freshTarget } = suite;

const series = {
  task: 'classify-ticket',
  provider: 'openai',
  model: 'drift-refusals',
  promptVersion: 'classify-ticket@1',
};
const obs = (o: Partial<DriftObservation> = {}): DriftObservation => ({
  ...series,
  validationFailed: false,
  refused: false,
  outputChars: 120,
  confidence: 0.88,
  category: 'BILLING',
  ...o,
});

function recordingLogger(lines: Array<{ level: string; obj: object }>): Logger {
  const log =
    (level: string) =>
    (obj: object): void =>
      void lines.push({ level, obj });
  return { warn: log('warn'), info: log('info'), debug: log('debug') } as unknown as Logger;
}

describe.each<StoreKind>(['sqlite', 'postgres'])('drift store on %s', (kind) => {
  it('keeps observations by series in order, the baseline first and the latest window last', async () => {
    const store = await open(freshTarget(kind));
    for (let i = 0; i < 10; i++)
      await store.drift.record(i < 5 ? 'acme' : 'globex', obs({ outputChars: i }), 1000 + i);
    await store.drift.record('acme', obs({ model: 'ok' }), 2000);

    const first = await store.drift.first(series, 3);
    expect(first.map((o) => o.outputChars)).toEqual([0, 1, 2]);
    expect(first[0]).toMatchObject({ ...series, refused: false, confidence: 0.88 });
    const latest = await store.drift.latest(series, first.at(-1)!.id, 4);
    expect(latest.map((o) => o.outputChars)).toEqual([9, 8, 7, 6]);
    expect(await store.drift.tenantsSince(series, latest.at(-1)!.id)).toEqual(['globex']);
    expect(await store.drift.series()).toEqual([
      { ...series, observations: 10, lastAt: 1009 },
      { ...series, model: 'ok', observations: 1, lastAt: 2000 },
    ]);
    expect(await store.drift.series({ model: 'ok' })).toHaveLength(1);
  });

  it('erasing a tenant deletes its observations, and only its own', async () => {
    const store = await open(freshTarget(kind));
    for (let i = 0; i < 6; i++)
      await store.drift.record(i < 2 ? 'acme' : 'globex', obs({}), 1000 + i);
    expect(await store.eraseTenantData('acme')).toMatchObject({ drift_observations: 2 });
    expect(await store.drift.series()).toEqual([{ ...series, observations: 4, lastAt: 1005 }]);
    expect(await store.drift.tenantsSince(series, 0)).toEqual(['globex']);
  });

  it('raises an alert once across replicas racing, resolves it once', async () => {
    const target = freshTarget(kind);
    const a = await open(target);
    const b = await open(target); // another replica's connection
    const raised = await Promise.all([
      a.drift.raise(series, 'refusal-rate', { p: 1 }, 10),
      b.drift.raise(series, 'refusal-rate', { p: 2 }, 11),
      a.drift.raise(series, 'refusal-rate', { p: 3 }, 12),
    ]);
    expect(raised.filter(Boolean)).toHaveLength(1);
    expect(await a.drift.firingByMetric()).toEqual({ 'refusal-rate': 1 });
    expect(
      await Promise.all([
        a.drift.resolve(series, 'refusal-rate', 20),
        b.drift.resolve(series, 'refusal-rate', 21),
      ]),
    ).toContain(true);
    const [alert] = await b.drift.alerts(series);
    expect(alert).toMatchObject({ metric: 'refusal-rate', firing: false, raised: 1 });
    expect(await a.drift.firingByMetric()).toEqual({});
    expect(await a.drift.raise(series, 'refusal-rate', {}, 30)).toBe(true);
    expect((await a.drift.alerts(series))[0]).toMatchObject({
      firing: true,
      raised: 2,
      raisedAt: 30,
    });
  });

  it('the monitor raises refusals after the baseline: one log line, one event per tenant in the window', async () => {
    const store = await open(freshTarget(kind));
    const lines: Array<{ level: string; obj: object }> = [];
    const events: NewKeelEvent[] = [];
    let now = 1_000;
    const monitor = new DriftMonitor({
      store,
      logger: recordingLogger(lines),
      settings: {
        baseline: 40,
        window: 40,
        minSamples: 30,
        alpha: 0.001,
        minPsi: 0.1,
        minRise: 0.05,
        evaluateEvery: 1000,
      },
      now: () => now++,
      publish: (e) => Promise.resolve(void events.push(e)),
    });
    for (let i = 0; i < 40; i++) await monitor.observe('acme', obs());
    expect((await monitor.check(series)).status).toBe('collecting-window');
    for (let i = 0; i < 40; i++)
      await monitor.observe(
        i % 2 ? 'acme' : 'globex',
        i % 2
          ? obs()
          : obs({
              refused: true,
              outputChars: undefined,
              confidence: undefined,
              category: undefined,
            }),
      );
    const e = await monitor.check(series);
    expect(e.status).toBe('drifted');
    expect(e.metrics.filter((m) => m.drifted).map((m) => m.metric)).toEqual(['refusal-rate']);
    // A second check finds it firing already: nothing is told twice.
    await monitor.check(series);
    const told = lines.filter((l) => (l.obj as { event?: string }).event === 'drift.detected');
    expect(told).toHaveLength(1);
    expect(told[0]!.obj).toMatchObject({
      ...series,
      metric: 'refusal-rate',
      baselineN: 40,
      recentN: 40,
    });
    expect(events.map((x) => [x.type, x.tenantId, x.subject])).toEqual([
      ['drift.detected', 'acme', 'acme'],
      ['drift.detected', 'globex', 'globex'],
    ]);
    expect(events[0]!.data).toMatchObject({
      ...series,
      metric: 'refusal-rate',
      test: 'chi-square',
    });
    const [report] = await monitor.report();
    expect(report).toMatchObject({ ...series, observations: 80, status: 'drifted' });
    expect(report!.alerts).toEqual([
      expect.objectContaining({ metric: 'refusal-rate', firing: true, raised: 1 }),
    ]);
  });

  it('the evaluation rates: unfaithful verdicts after the baseline raise hallucination-rate once, then resolve', async () => {
    const store = await open(freshTarget(kind));
    const lines: Array<{ level: string; obj: object }> = [];
    const events: NewKeelEvent[] = [];
    let now = 1_000;
    const monitor = new DriftMonitor({
      store,
      logger: recordingLogger(lines),
      settings: {
        baseline: 20,
        window: 20,
        minSamples: 15,
        alpha: 0.001,
        minPsi: 0.1,
        minRise: 0.05,
        evaluateEvery: 1000, // checked by hand below (the cadence: test/e2e/evaluation-alerts)
      },
      now: () => now++,
      publish: (e) => Promise.resolve(void events.push(e)),
    });
    const evaluated = series;
    let job = 0;
    const record = async (tenantId: string, unfaithful: boolean) => {
      await store.evaluations.record({
        ...evaluated,
        jobId: `job-${String(job++).padStart(3, '0')}`,
        tenantId,
        at: now++,
        unfaithful,
        score: unfaithful ? 0.2 : 0.95,
        unsafe: false,
        error: null,
        costMicros: 500,
        verifier: 'openai:ok',
      });
      monitor.evaluated(evaluated);
    };
    for (let i = 0; i < 20; i++) await record('acme', false);
    // A series of evaluations only (no observation of its own) is reported all the same.
    expect(await monitor.report()).toMatchObject([
      {
        ...evaluated,
        observations: 0,
        status: 'collecting-baseline',
        evaluations: { evaluated: 20, baseline: { n: 20 }, recent: { n: 0 } },
      },
    ]);
    for (let i = 0; i < 14; i++) await record(i < 2 ? 'acme' : 'globex', true);
    let e = await monitor.check(evaluated);
    const rate = () => e.metrics.find((m) => m.metric === 'hallucination-rate')!;
    expect(rate()).toMatchObject({ enoughSamples: false, recent: { n: 14, rate: 1 } });
    await record('globex', true);
    e = await monitor.check(evaluated);
    expect(rate()).toMatchObject({ drifted: true, test: 'two-proportion-z', recent: { n: 15 } });
    expect(e.status).toBe('drifted');
    await monitor.check(evaluated);
    const told = lines.filter((l) => (l.obj as { event?: string }).event === 'drift.detected');
    expect(told).toHaveLength(1);
    expect(told[0]!.obj).toMatchObject({
      metric: 'hallucination-rate',
      baselineN: 20,
      recentN: 15,
    });
    expect(JSON.stringify(told[0]!.obj)).not.toContain('job-');
    // The tenants with an evaluation in the recent window, each once.
    expect(events.map((x) => [x.type, x.tenantId, (x.data as { metric: string }).metric])).toEqual([
      ['drift.detected', 'acme', 'hallucination-rate'],
      ['drift.detected', 'globex', 'hallucination-rate'],
    ]);
    // Faithful again: the recent window refills with good verdicts and the alert resolves.
    for (let i = 0; i < 20; i++) await record('acme', false);
    e = await monitor.check(evaluated);
    expect(rate()).toMatchObject({ drifted: false, recent: { n: 20, rate: 0 } });
    const [report] = await monitor.report();
    expect(report!.alerts).toEqual([
      expect.objectContaining({ metric: 'hallucination-rate', firing: false, raised: 1 }),
    ]);
    expect(lines.some((l) => (l.obj as { event?: string }).event === 'drift.resolved')).toBe(true);
  });
});
