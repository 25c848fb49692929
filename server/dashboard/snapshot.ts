import { registry } from '../../shared/platform/metrics';

/**
 * One reading of the metrics the dashboard draws from this process's registry
 * (shared/platform/metrics.ts): counters as maps from a label key to a value, and the request
 * histogram's cumulative buckets (200 answers) per task. Snapshots are compared with each other
 * (server/dashboard/summary.ts) to get rates and windowed percentiles.
 */
export interface Snapshot {
  at: number;
  /** `task\tstatus` → answers. */
  requests: Map<string, number>;
  /** Task → cumulative counts per bucket of 200 answers, aligned with `bounds`. */
  buckets: Map<string, number[]>;
  /** Upper bounds of the request histogram's buckets, in seconds (the last is Infinity). */
  bounds: number[];
  /** `task\tlayer` → validation failures. */
  validation: Map<string, number>;
  /** `provider\tmodel\toutcome` → model calls. */
  modelCalls: Map<string, number>;
  inFlight: number;
}

type Labels = Record<string, string | number | undefined>;
interface Value {
  value: number;
  labels: Labels;
  metricName?: string;
}

async function values(name: string): Promise<Value[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values;
}

const key = (labels: Labels, names: readonly string[]): string =>
  names.map((n) => String(labels[n] ?? '')).join('\t');

function counter(vals: Value[], names: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of vals) {
    const k = key(v.labels, names);
    out.set(k, (out.get(k) ?? 0) + v.value);
  }
  return out;
}

export async function takeSnapshot(at: number): Promise<Snapshot> {
  const [requests, histogram, validation, calls, inFlight] = await Promise.all([
    values('keel_requests_total'),
    values('keel_request_duration_seconds'),
    values('keel_validation_failures_total'),
    values('keel_model_calls_total'),
    values('keel_tasks_in_flight'),
  ]);
  const perBound = new Map<string, Map<number, number>>();
  const boundSet = new Set<number>();
  for (const v of histogram) {
    if (!v.metricName?.endsWith('_bucket') || String(v.labels.status) !== '200') continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    boundSet.add(le);
    const task = String(v.labels.task);
    const row = perBound.get(task) ?? new Map<number, number>();
    row.set(le, (row.get(le) ?? 0) + v.value);
    perBound.set(task, row);
  }
  const bounds = [...boundSet].sort((a, b) => a - b);
  const buckets = new Map(
    [...perBound].map(([task, row]) => [task, bounds.map((b) => row.get(b) ?? 0)] as const),
  );
  return {
    at,
    requests: counter(requests, ['task', 'status']),
    buckets,
    bounds,
    validation: counter(validation, ['task', 'layer']),
    modelCalls: counter(calls, ['provider', 'model', 'outcome']),
    inFlight: inFlight[0]?.value ?? 0,
  };
}
