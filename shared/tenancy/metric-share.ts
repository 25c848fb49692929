import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Logger } from '../platform/logger';
import { registry } from '../platform/metrics';
import type { MetricShareStore, ProcessRole } from './store';

/**
 * Every Keel process (API or worker) shares the metrics the operator dashboard draws through the
 * tenant store (docs/dashboard.md): one row per process, rewritten every KEEL_METRICS_SHARE_MS,
 * deleted at a clean stop. server/dashboard/ sums the fresh rows with prom-client's own
 * aggregation, so any API's dashboard covers the whole deployment.
 */

/**
 * The metrics shared and the only labels kept of each. Every other label (a `tenant` with
 * KEEL_METRICS_TENANT_LABEL, a validation `rule`) is summed away before a row is written: rows
 * hold tasks, statuses, providers, models, outcomes and layers, all bounded by the config.
 */
export const SHARED_METRICS: Readonly<Record<string, readonly string[]>> = {
  keel_requests_total: ['task', 'status'],
  keel_request_duration_seconds: ['task', 'status', 'le'],
  keel_validation_failures_total: ['task', 'layer'],
  keel_model_calls_total: ['provider', 'model', 'outcome'],
  keel_tasks_in_flight: [],
};

/** One metric as prom-client's `getMetricsAsJSON()` gives it; checked when read from a row. */
export const SharedMetric = z.object({
  name: z.string(),
  help: z.string(),
  type: z.string(),
  aggregator: z.string().optional(),
  values: z.array(
    z.object({
      value: z.number(),
      labels: z.record(z.string(), z.union([z.string(), z.number()])),
      metricName: z.string().optional(),
    }),
  ),
});
export type SharedMetric = z.infer<typeof SharedMetric>;

/**
 * prom-client's own JSON (`getMetricsAsJSON()`, of a registry or an aggregate) as SharedMetric:
 * the same fields, typed (prom-client's types call `type` an enum; at run time it is a string).
 */
export function fromRegistryJson(
  json: Awaited<ReturnType<Registry['getMetricsAsJSON']>>,
): SharedMetric[] {
  return json.map((m) => ({
    name: m.name,
    help: m.help,
    type: String(m.type),
    ...(typeof m.aggregator === 'string' ? { aggregator: m.aggregator } : {}),
    values: m.values.map((v) => ({
      value: v.value,
      labels: v.labels as Record<string, string | number>,
      ...('metricName' in v && typeof v.metricName === 'string'
        ? { metricName: v.metricName }
        : {}),
    })),
  }));
}

/** A row's metrics, or undefined when they are not what a Keel process writes. */
export function parseSharedMetrics(raw: unknown): SharedMetric[] | undefined {
  const parsed = z.array(SharedMetric).safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** This process as its row names it: an id drawn at start (a restart is a new process). */
export const THIS_PROCESS: { readonly id: string; readonly startedAt: number } = {
  id: randomUUID(),
  startedAt: Date.now(),
};

const pick = (labels: SharedMetric['values'][number]['labels'], keep: readonly string[]) =>
  Object.fromEntries(keep.filter((k) => labels[k] !== undefined).map((k) => [k, labels[k]!]));

/**
 * What this process shares: the registry's dashboard metrics with only the labels above (the
 * request histogram: 200 answers only, the dashboard's latency; no help texts), series that
 * differed in a dropped label summed by `AggregatorRegistry.aggregate`.
 */
export async function sharedMetrics(from: Registry = registry): Promise<SharedMetric[]> {
  const kept = (await from.getMetricsAsJSON())
    .filter((m) => SHARED_METRICS[m.name] !== undefined)
    .map((m) => ({
      ...m,
      help: '', // the dashboard reads none; rows stay small
      values: m.values
        .filter((v) => String(m.type) !== 'histogram' || String(v.labels.status) === '200')
        .map((v) => ({
          value: v.value,
          labels: pick(v.labels as Record<string, string | number>, SHARED_METRICS[m.name]!),
          ...('metricName' in v && typeof v.metricName === 'string'
            ? { metricName: v.metricName }
            : {}),
        })),
    }));
  return fromRegistryJson(await AggregatorRegistry.aggregate([kept]).getMetricsAsJSON());
}

export interface MetricSharing {
  /** Stops the timer, waits for a write under way, deletes the row. */
  stop(): Promise<void>;
}

/**
 * Writes this process's row now and every `everyMs` (unref'd: it never keeps the process up);
 * 0 = never. A failed write is logged once until one succeeds again.
 */
export function startMetricShare(opts: {
  store: MetricShareStore;
  role: ProcessRole;
  everyMs: number;
  logger: Logger;
  from?: Registry;
}): MetricSharing {
  if (opts.everyMs <= 0) return { stop: () => Promise.resolve() };
  let writing: Promise<void> | undefined;
  let failing = false;
  const write = async (): Promise<void> => {
    try {
      await opts.store.publish({
        processId: THIS_PROCESS.id,
        role: opts.role,
        startedAt: THIS_PROCESS.startedAt,
        updatedAt: Date.now(),
        metrics: await sharedMetrics(opts.from),
      });
      if (failing) opts.logger.info('dashboard metrics shared again');
      failing = false;
    } catch (err) {
      if (!failing)
        opts.logger.warn({ err: (err as Error).message }, 'dashboard metrics not shared');
      failing = true;
    }
  };
  const tick = (): void => {
    writing ??= write().finally(() => (writing = undefined));
  };
  tick();
  const timer = setInterval(tick, opts.everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await writing;
      await opts.store.remove(THIS_PROCESS.id).catch((err: unknown) => {
        opts.logger.warn({ err: (err as Error).message }, 'dashboard metrics row not deleted');
      });
    },
  };
}
