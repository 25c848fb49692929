import {
  parseSharedMetrics,
  sharedMetrics,
  THIS_PROCESS,
  type SharedMetric,
} from '../../shared/tenancy/metric-share';
import type { MetricShare, ProcessRole } from '../../shared/tenancy/store';

/**
 * What the dashboard samples: every Keel process's shared metrics (shared/tenancy/metric-share.ts)
 * at one time, this process's read from its own registry, the others' from their fresh rows in
 * the tenant store. server/dashboard/merge.ts sums them and takes windows between samples;
 * `readFigures` turns a set of metrics into the maps server/dashboard/summary.ts computes with.
 */

/** One process's metrics as last read. */
export interface ProcessReading {
  /** Drawn at the process's start: a restarted process is a new one. */
  id: string;
  role: ProcessRole;
  startedAt: number;
  /** When its metrics were read: its row's `updated_at`, or the sample's time for this process. */
  at: number;
  /** This process (read live, not from its row). */
  self: boolean;
  metrics: SharedMetric[];
}

export interface Snapshot {
  at: number;
  processes: ProcessReading[];
}

/** The figures of one set of metrics (one process, a sum, or a window's increase). */
export interface Reading {
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

/** Another process's row with its metrics checked (`parseShares`). */
export type CheckedShare = Omit<MetricShare, 'metrics'> & { metrics: SharedMetric[] };

/** Rows as read from the store, checked once: a row with metrics Keel does not write is left out. */
export function parseShares(rows: readonly MetricShare[]): CheckedShare[] {
  return rows.flatMap((r) => {
    const metrics = parseSharedMetrics(r.metrics);
    return metrics ? [{ ...r, metrics }] : [];
  });
}

/** A sample at `at`: this process's metrics now, and each other process's fresh row. */
export async function takeSnapshot(
  at: number,
  self: ProcessRole,
  others: readonly CheckedShare[] = [],
): Promise<Snapshot> {
  const processes: ProcessReading[] = [
    {
      id: THIS_PROCESS.id,
      role: self,
      startedAt: THIS_PROCESS.startedAt,
      at,
      self: true,
      metrics: await sharedMetrics(),
    },
  ];
  for (const share of others) {
    if (share.processId === THIS_PROCESS.id) continue; // read live above
    const { processId: id, role, startedAt, updatedAt, metrics } = share;
    processes.push({ id, role, startedAt, at: updatedAt, self: false, metrics });
  }
  return { at, processes };
}

type Labels = SharedMetric['values'][number]['labels'];
const key = (labels: Labels, names: readonly string[]): string =>
  names.map((n) => String(labels[n] ?? '')).join('\t');

function counter(m: SharedMetric | undefined, names: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of m?.values ?? []) {
    const k = key(v.labels, names);
    out.set(k, (out.get(k) ?? 0) + v.value);
  }
  return out;
}

/** The maps the summary computes with, from metrics as shared (one process's or a sum). */
export function readFigures(metrics: readonly SharedMetric[]): Reading {
  const by = new Map(metrics.map((m) => [m.name, m]));
  const perBound = new Map<string, Map<number, number>>();
  const boundSet = new Set<number>();
  for (const v of by.get('keel_request_duration_seconds')?.values ?? []) {
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
    requests: counter(by.get('keel_requests_total'), ['task', 'status']),
    buckets,
    bounds,
    validation: counter(by.get('keel_validation_failures_total'), ['task', 'layer']),
    modelCalls: counter(by.get('keel_model_calls_total'), ['provider', 'model', 'outcome']),
    inFlight: by.get('keel_tasks_in_flight')?.values.reduce((a, v) => a + v.value, 0) ?? 0,
  };
}
