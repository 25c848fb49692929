import { AggregatorRegistry } from 'prom-client';
import { fromRegistryJson, type SharedMetric } from '../../shared/tenancy/metric-share';
import { readFigures, type ProcessReading, type Reading, type Snapshot } from './snapshot';

/**
 * Several processes' metrics as one deployment's (docs/dashboard.md). Sums are prom-client's own
 * (`AggregatorRegistry.aggregate`, each metric by its aggregator: sum for Keel's). A window is
 * taken per process before summing, so a process that stops or restarts between two samples
 * never makes a figure go down:
 * - one read earlier in the window: the increase of each series since its first reading there
 *   (all of `now` if any series went down: a reset);
 * - one first read now: all its counts if it started within the window, else nothing;
 * - one gone since: nothing (its counts leave the totals too).
 */

/** prom-client's sum of several metric lists (one per process). */
export async function sumMetrics(lists: readonly SharedMetric[][]): Promise<SharedMetric[]> {
  if (lists.length === 0) return [];
  return fromRegistryJson(await AggregatorRegistry.aggregate([...lists]).getMetricsAsJSON());
}

/** The deployment's figures at one sample: every process's counts since it started, summed. */
export async function totalOf(now: Snapshot): Promise<Reading> {
  return readFigures(await sumMetrics(now.processes.map((p) => p.metrics)));
}

const seriesKey = (name: string, v: SharedMetric['values'][number]): string => {
  const labels = Object.keys(v.labels)
    .sort()
    .map((k) => `${k}=${v.labels[k]}`);
  return `${name}\t${v.metricName ?? ''}\t${labels.join('\t')}`;
};

/** Counters' and histograms' values by series; gauges have no increase. */
function cumulative(metrics: readonly SharedMetric[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of metrics) {
    if (m.type === 'gauge') continue;
    for (const v of m.values) out.set(seriesKey(m.name, v), v.value);
  }
  return out;
}

/**
 * One process's increase from `base` to `now` (undefined `base`: all of `now`). If any series
 * went down, the process restarted its count (a new registry under the same id): all of `now`.
 */
export function increaseOf(now: readonly SharedMetric[], base?: readonly SharedMetric[]) {
  const before = base ? cumulative(base) : new Map<string, number>();
  const reset = [...cumulative(now)].some(([k, v]) => v < (before.get(k) ?? 0));
  return now
    .filter((m) => m.type !== 'gauge')
    .map((m) => ({
      ...m,
      values: m.values.map((v) => ({
        ...v,
        value: reset ? v.value : v.value - (before.get(seriesKey(m.name, v)) ?? 0),
      })),
    }));
}

/** What happened between two samples, across the deployment. */
export interface Span {
  /** Each process's increase, summed. */
  window: Reading;
  /**
   * The sum of each process's own request rate over its own two readings (a row is rewritten
   * only every KEEL_METRICS_SHARE_MS, so the sample times would misstate it); null when no
   * process was read twice.
   */
  requestsPerSecond: number | null;
}

/**
 * What happened from `from` to `now`. `earlier`: the samples kept (oldest first); each process's
 * increase runs from its first reading at or after `from`, else from zero if it started after it.
 */
export async function spanOf(
  now: Snapshot,
  earlier: readonly Snapshot[],
  from: number,
): Promise<Span> {
  const inWindow = earlier.filter((s) => s.at >= from && s.at < now.at);
  const parts: { increase: SharedMetric[]; seconds: number }[] = [];
  for (const p of now.processes) {
    let was: ProcessReading | undefined;
    for (const s of inWindow) if ((was = s.processes.find((q) => q.id === p.id))) break;
    // Running before `from` but first seen now: none of its counts is known to be the window's.
    if (!was && p.startedAt < from) continue;
    const since = was ? was.at : p.startedAt;
    parts.push({ increase: increaseOf(p.metrics, was?.metrics), seconds: (p.at - since) / 1000 });
  }
  let rate: number | null = null;
  for (const part of parts) {
    if (part.seconds <= 0) continue;
    const requests = readFigures(part.increase).requests;
    rate = (rate ?? 0) + [...requests.values()].reduce((a, b) => a + b, 0) / part.seconds;
  }
  return {
    window: readFigures(await sumMetrics(parts.map((p) => p.increase))),
    requestsPerSecond: rate,
  };
}
