import type { DashboardBody } from '../../shared/contracts/dashboard';
import type { Snapshot } from './snapshot';

/**
 * The dashboard's figures from two snapshots of this process's metrics: `now` and `base` (the
 * oldest kept within the window). Pure: server/dashboard/dashboard.service.ts takes the
 * snapshots, unit tests feed made-up ones.
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

/** Counter increase from `base` to `now`, per key (a key new since `base` counts from 0). */
function increase(now: Map<string, number>, base?: Map<string, number>): Map<string, number> {
  return new Map([...now].map(([k, v]) => [k, Math.max(0, v - (base?.get(k) ?? 0))] as const));
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** Bucket counts of 200 answers between the snapshots: per task, and all tasks together. */
function bucketIncrease(now: Snapshot, base?: Snapshot) {
  const perTask = new Map<string, number[]>();
  for (const [task, counts] of now.buckets) {
    const before = base?.buckets.get(task);
    perTask.set(
      task,
      counts.map((c, i) => Math.max(0, c - (before?.[i] ?? 0))),
    );
  }
  const all = now.bounds.map((_, i) => sum(new Map([...perTask].map(([t, c]) => [t, c[i] ?? 0]))));
  return { perTask, all };
}

/** One chart point: the rate and percentiles between two consecutive samples. */
export function seriesPoint(now: Snapshot, prev: Snapshot): DashboardBody['series'][number] {
  const seconds = Math.max(0.001, (now.at - prev.at) / 1000);
  const { all } = bucketIncrease(now, prev);
  return {
    at: now.at,
    requestsPerSecond:
      Math.round((sum(increase(now.requests, prev.requests)) / seconds) * 100) / 100,
    ...percentiles(now.bounds, all),
  };
}

const split = (k: string): string[] => k.split('\t');

type Figures = Pick<
  DashboardBody,
  'requests' | 'inFlight' | 'latency' | 'latencyAll' | 'validationFailures' | 'modelCalls'
>;

/** The request, latency, validation and model-call figures; `base` undefined: since start. */
export function summarise(now: Snapshot, base?: Snapshot): Figures {
  const windowReqs = increase(now.requests, base?.requests);
  const byStatus: Record<string, number> = {};
  for (const [k, v] of now.requests) {
    const status = split(k)[1] ?? '';
    byStatus[status] = (byStatus[status] ?? 0) + v;
  }
  const seconds = base ? (now.at - base.at) / 1000 : 0;
  const { perTask, all } = bucketIncrease(now, base);
  const latency = [...perTask]
    .map(([task, counts]) => ({
      task,
      requests: counts[counts.length - 1] ?? 0,
      ...percentiles(now.bounds, counts),
    }))
    .sort((a, b) => a.task.localeCompare(b.task));
  const validationWindow = increase(now.validation, base?.validation);
  const validationFailures = [...now.validation]
    .map(([k, total]) => {
      const [task = '', layer = ''] = split(k);
      return { task, layer, total, inWindow: validationWindow.get(k) ?? 0 };
    })
    .sort((a, b) => b.total - a.total || a.task.localeCompare(b.task));
  const callsWindow = increase(now.modelCalls, base?.modelCalls);
  const models = new Map<string, DashboardBody['modelCalls'][number]>();
  for (const [k, n] of now.modelCalls) {
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
    row.inWindow += callsWindow.get(k) ?? 0;
    models.set(`${provider}\t${model}`, row);
  }
  return {
    requests: {
      total: sum(now.requests),
      byStatus,
      inWindow: sum(windowReqs),
      perSecond: seconds > 0 ? Math.round((sum(windowReqs) / seconds) * 100) / 100 : null,
    },
    inFlight: now.inFlight,
    latencyAll: { requests: all[all.length - 1] ?? 0, ...percentiles(now.bounds, all) },
    latency,
    validationFailures,
    modelCalls: [...models.values()].sort((a, b) => b.calls - a.calls),
  };
}
