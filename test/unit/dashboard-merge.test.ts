import { describe, expect, it } from 'vitest';
import { spanOf, sumMetrics, totalOf } from '../../server/dashboard/merge';
import type { ProcessReading, Snapshot } from '../../server/dashboard/snapshot';
import { summarise } from '../../server/dashboard/summary';
import type { SharedMetric } from '../../shared/tenancy/metric-share';

/**
 * The dashboard over several processes (server/dashboard/merge.ts): their rows summed with
 * prom-client's aggregation, windows taken per process so a process that restarts or vanishes
 * never makes a count or a rate go negative, and each process's rate over its own readings.
 */

const LE = [0.1, 0.5, '+Inf'] as const;

/** One process's shared metrics: answers (all 200s, each in the 100–500 ms bucket), calls. */
function metrics(o: { answers?: number; calls?: number; inFlight?: number }): SharedMetric[] {
  const answers = o.answers ?? 0;
  return [
    {
      name: 'keel_requests_total',
      help: '',
      type: 'counter',
      aggregator: 'sum',
      values: answers
        ? [{ value: answers, labels: { task: 'classify-ticket', status: '200' } }]
        : [],
    },
    {
      name: 'keel_request_duration_seconds',
      help: '',
      type: 'histogram',
      aggregator: 'sum',
      values: answers
        ? LE.map((le) => ({
            value: le === 0.1 ? 0 : answers,
            labels: { task: 'classify-ticket', status: '200', le },
            metricName: 'keel_request_duration_seconds_bucket',
          }))
        : [],
    },
    {
      name: 'keel_model_calls_total',
      help: '',
      type: 'counter',
      aggregator: 'sum',
      values: o.calls
        ? [{ value: o.calls, labels: { provider: 'openai', model: 'ok', outcome: 'ok' } }]
        : [],
    },
    {
      name: 'keel_tasks_in_flight',
      help: '',
      type: 'gauge',
      aggregator: 'sum',
      values: [{ value: o.inFlight ?? 0, labels: {} }],
    },
  ];
}

const proc = (
  id: string,
  at: number,
  m: Parameters<typeof metrics>[0],
  over: Partial<ProcessReading> = {},
): ProcessReading => ({
  id,
  role: id.startsWith('w') ? 'worker' : 'api',
  startedAt: 0,
  at,
  self: id === 'self',
  metrics: metrics(m),
  ...over,
});
const snap = (at: number, ...processes: ProcessReading[]): Snapshot => ({ at, processes });

/** Every count and rate of the summary: none may be negative. */
function noneNegative(s: ReturnType<typeof summarise>): void {
  expect(s.requests.inWindow).toBeGreaterThanOrEqual(0);
  expect(s.requests.perSecond ?? 0).toBeGreaterThanOrEqual(0);
  for (const m of s.modelCalls) expect(m.inWindow).toBeGreaterThanOrEqual(0);
  for (const l of s.latency) expect(l.requests).toBeGreaterThanOrEqual(0);
}

describe('sumMetrics', () => {
  it('adds the same series of several processes, gauges included, with prom-client', async () => {
    const summed = await sumMetrics([
      metrics({ answers: 2, inFlight: 1 }),
      metrics({ answers: 3, inFlight: 2 }),
    ]);
    const requests = summed.find((m) => m.name === 'keel_requests_total')!;
    expect(requests.values).toEqual([
      { value: 5, labels: { task: 'classify-ticket', status: '200' } },
    ]);
    expect(summed.find((m) => m.name === 'keel_tasks_in_flight')!.values[0]!.value).toBe(3);
    expect(await sumMetrics([])).toEqual([]);
  });
});

describe('totalOf and spanOf', () => {
  it('sums an API’s requests and a worker’s model calls; each process’s rate over its own readings', async () => {
    const base = snap(
      0,
      proc('self', 0, { answers: 10 }),
      proc('w1', -3_000, { calls: 4 }),
      proc('a2', -1_000, { answers: 5 }),
    );
    // 60 s later: this API answered 60 more; the other API's row, rewritten 4 s ago, 55 more.
    const now = snap(
      60_000,
      proc('self', 60_000, { answers: 70 }),
      proc('w1', 57_000, { calls: 124 }),
      proc('a2', 56_000, { answers: 60 }),
    );
    const total = await totalOf(now);
    expect(Object.fromEntries(total.requests)).toEqual({ 'classify-ticket\t200': 130 });
    expect(Object.fromEntries(total.modelCalls)).toEqual({ 'openai\tok\tok': 124 });
    const span = await spanOf(now, [base], base.at);
    expect(Object.fromEntries(span.window.requests)).toEqual({ 'classify-ticket\t200': 115 });
    expect(Object.fromEntries(span.window.modelCalls)).toEqual({ 'openai\tok\tok': 120 });
    expect(span.window.buckets.get('classify-ticket')).toEqual([0, 115, 115]);
    // 60 over this API's 60 s plus 55 over the other's own 57 s between its two rows.
    expect(span.requestsPerSecond).toBeCloseTo(1 + 55 / 57, 6);
    const s = summarise(total, span);
    expect(s.requests).toMatchObject({ total: 130, inWindow: 115 });
    expect(s.latencyAll).toMatchObject({ requests: 115, p50Ms: 300 });
  });

  it('counts a process that restarted under the same id from zero: never a negative window', async () => {
    const base = snap(0, proc('self', 0, { answers: 10 }), proc('w1', 0, { calls: 100 }));
    const now = snap(
      30_000,
      proc('self', 30_000, { answers: 10 }),
      proc('w1', 30_000, { calls: 7 }),
    );
    const span = await spanOf(now, [base], base.at);
    expect(Object.fromEntries(span.window.modelCalls)).toEqual({ 'openai\tok\tok': 7 });
    noneNegative(summarise(await totalOf(now), span));
  });

  it('drops a vanished process from totals and window; a restart under a new id counts from zero', async () => {
    const base = snap(
      0,
      proc('self', 0, { answers: 5 }),
      proc('a-old', 0, { answers: 500 }),
      proc('w1', 0, { calls: 50 }),
    );
    // a-old stopped (its row deleted or stale); a-new started 10 s into the window; w1 vanished.
    const now = snap(
      30_000,
      proc('self', 30_000, { answers: 8 }),
      proc('a-new', 29_000, { answers: 4 }, { startedAt: 10_000 }),
    );
    const total = await totalOf(now);
    const span = await spanOf(now, [base], base.at);
    expect(Object.fromEntries(total.requests)).toEqual({ 'classify-ticket\t200': 12 });
    expect(Object.fromEntries(span.window.requests)).toEqual({ 'classify-ticket\t200': 7 });
    // 3 over this API's 30 s, and 4 over the 19 s a-new ran.
    expect(span.requestsPerSecond).toBeCloseTo(3 / 30 + 4 / 19, 6);
    const s = summarise(total, span);
    expect(s.modelCalls).toEqual([]);
    noneNegative(s);
  });

  it('leaves out of the window a process first seen now that started before it', async () => {
    const base = snap(0, proc('self', 0, { answers: 1 }));
    const now = snap(
      30_000,
      proc('self', 30_000, { answers: 2 }),
      proc('a2', 29_000, { answers: 900 }, { startedAt: -600_000 }),
    );
    const span = await spanOf(now, [base], base.at);
    expect(Object.fromEntries(span.window.requests)).toEqual({ 'classify-ticket\t200': 1 });
    expect((await totalOf(now)).requests.get('classify-ticket\t200')).toBe(902);
  });

  it('counts a process from its first reading in the window when it was not in the first sample', async () => {
    const base = snap(0, proc('self', 0, { answers: 1 }));
    // a2 started before the window but wrote its first row after the first sample.
    const later = snap(
      2_000,
      proc('self', 2_000, { answers: 1 }),
      proc('a2', 1_500, { answers: 0 }, { startedAt: -500 }),
    );
    const now = snap(
      30_000,
      proc('self', 30_000, { answers: 1 }),
      proc('a2', 29_500, { answers: 6 }, { startedAt: -500 }),
    );
    const span = await spanOf(now, [base, later], base.at);
    expect(Object.fromEntries(span.window.requests)).toEqual({ 'classify-ticket\t200': 6 });
    expect(span.requestsPerSecond).toBeCloseTo(6 / 28, 6);
  });

  it('gives no rate for a row not rewritten between two samples, and no Infinity', async () => {
    const base = snap(0, proc('a2', -1_000, { answers: 3 }));
    const now = snap(2_000, proc('a2', -1_000, { answers: 3 }));
    const span = await spanOf(now, [base], base.at);
    expect(span.requestsPerSecond).toBeNull();
    expect(summarise(await totalOf(now), span).requests).toMatchObject({
      inWindow: 0,
      perSecond: null,
    });
  });
});
