import type { DashboardBody } from '../../shared/contracts/dashboard';
import type { Span } from './merge';
import type { Reading } from './snapshot';

/**
 * The dashboard's figures from the deployment's summed metrics (`total`) and what happened in
 * the window (a `Span`, server/dashboard/merge.ts). Pure: server/dashboard/dashboard.service.ts
 * takes the samples, unit tests feed made-up ones.
 */

type Percentiles = { p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };

/**
 * The `q` quantile of cumulative bucket `counts` (upper `bounds` in seconds), in milliseconds,
 * interpolated linearly inside the bucket as Prometheus's `histogram_quantile` does; in the
 * +Inf bucket, the highest finite bound. Null for no observations.
 */
export function quantileMs(q: number, bounds: readonly number[], counts: readonly number[]) {
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  const i = counts.findIndex((c) => c >= rank);
  const upper = bounds[i] ?? Infinity;
  const lower = i > 0 ? (bounds[i - 1] ?? 0) : 0;
  if (!Number.isFinite(upper)) return lower * 1000;
  const below = i > 0 ? (counts[i - 1] ?? 0) : 0;
  const inBucket = (counts[i] ?? 0) - below;
  const seconds = inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
  return Math.round(seconds * 1000 * 10) / 10;
}

function percentiles(bounds: readonly number[], counts: readonly number[]): Percentiles {
  return {
    p50Ms: quantileMs(0.5, bounds, counts),
    p95Ms: quantileMs(0.95, bounds, counts),
    p99Ms: quantileMs(0.99, bounds, counts),
  };
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Bucket counts of all tasks together. */
const allTasks = (r: Reading): number[] =>
  r.bounds.map((_, i) => [...r.buckets.values()].reduce((a, c) => a + (c[i] ?? 0), 0));

/** One chart point: the rate and the 200s' percentiles between two samples. */
export function seriesPoint(at: number, span: Span): DashboardBody['series'][number] {
  return {
    at,
    requestsPerSecond: round2(span.requestsPerSecond ?? 0),
    ...percentiles(span.window.bounds, allTasks(span.window)),
  };
}

const split = (k: string): string[] => k.split('\t');

type Figures = Pick<
  DashboardBody,
  'requests' | 'inFlight' | 'latency' | 'latencyAll' | 'validationFailures' | 'modelCalls'
>;

/**
 * The request, latency, validation and model-call figures: totals from `total` (every process's
 * counts since it started), window figures from `span`; no span (one sample yet): since start.
 */
export function summarise(total: Reading, span?: Span): Figures {
  const window = span?.window ?? total;
  const byStatus: Record<string, number> = {};
  for (const [k, v] of total.requests) {
    const status = split(k)[1] ?? '';
    byStatus[status] = (byStatus[status] ?? 0) + v;
  }
  const all = allTasks(window);
  const latency = [...window.buckets]
    .map(([task, counts]) => ({
      task,
      requests: counts[counts.length - 1] ?? 0,
      ...percentiles(window.bounds, counts),
    }))
    .sort((a, b) => a.task.localeCompare(b.task));
  const validationFailures = [...total.validation]
    .map(([k, n]) => {
      const [task = '', layer = ''] = split(k);
      return { task, layer, total: n, inWindow: window.validation.get(k) ?? 0 };
    })
    .sort((a, b) => b.total - a.total || a.task.localeCompare(b.task));
  const models = new Map<string, DashboardBody['modelCalls'][number]>();
  for (const [k, n] of total.modelCalls) {
    const [provider = '', model = '', outcome = ''] = split(k);
    const row = models.get(`${provider}\t${model}`) ?? {
      provider,
      model,
      calls: 0,
      failures: 0,
      inWindow: 0,
    };
    row.calls += n;
    if (outcome !== 'ok' && outcome !== 'cancelled') row.failures += n;
    row.inWindow += window.modelCalls.get(k) ?? 0;
    models.set(`${provider}\t${model}`, row);
  }
  const rate = span?.requestsPerSecond;
  return {
    requests: {
      total: sum(total.requests),
      byStatus,
      inWindow: sum(window.requests),
      perSecond: rate === undefined || rate === null ? null : round2(rate),
    },
    inFlight: total.inFlight,
    latencyAll: { requests: all[all.length - 1] ?? 0, ...percentiles(window.bounds, all) },
    latency,
    validationFailures,
    modelCalls: [...models.values()].sort((a, b) => b.calls - a.calls),
  };
}
