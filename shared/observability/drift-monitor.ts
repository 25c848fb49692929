import type { NewKeelEvent } from '../contracts/events';
import type { Logger } from '../platform/logger';
import { recordDriftAlert } from '../platform/metrics';
import type { TenantStore } from '../tenancy/store';
import { seriesKey, type DriftAlertRow, type DriftSeries } from '../tenancy/store/drift';
import type { EvaluationCursor, WindowedEvaluation } from '../tenancy/store/evaluations';
import {
  compareEvaluationRates,
  compareWindows,
  EVALUATION_METRICS,
  type DriftMetric,
  type DriftMonitorSettings,
  type MetricDrift,
} from './drift-detect';
import type { DriftObservation } from './observation';

/**
 * Drift detection's Node side (docs/drift.md): each observed task is one insert; every
 * `evaluateEvery`-th observation of a series in this process evaluates the series in the
 * background and raises or resolves its alerts (a conditional update in the store, so one
 * replica tells: a metric, a log line, a `drift.detected` event per tenant in the window). The
 * sampled evaluation's rates (docs/evaluation.md) are two more metrics of the same series, read
 * from its `evaluations` rows; every `evaluateEvery`-th evaluation recorded checks the series too.
 * `report` evaluates on read for `GET /v1/drift` without raising anything.
 */

export type SeriesStatus = 'collecting-baseline' | 'collecting-window' | 'stable' | 'drifted';

export interface SeriesReport extends DriftSeries {
  observations: number;
  status: SeriesStatus;
  baseline: { n: number; from?: string; to?: string };
  recent: { n: number; from?: string; to?: string };
  /** The evaluation rates' windows, when the series has evaluations. */
  evaluations?: {
    evaluated: number;
    baseline: { n: number; from?: string; to?: string };
    recent: { n: number; from?: string; to?: string };
  };
  metrics: MetricDrift[];
  alerts: Array<
    Omit<DriftAlertRow, keyof DriftSeries | 'detail' | 'raisedAt' | 'resolvedAt'> & {
      raisedAt?: string;
      resolvedAt?: string;
    }
  >;
}

interface Evaluation {
  status: SeriesStatus;
  metrics: MetricDrift[];
  baseline: { n: number; fromAt?: number; toAt?: number };
  recent: { n: number; fromAt?: number; toAt?: number; fromId?: number };
  /** The evaluation rates' windows (absent without evaluations). */
  evaluations?: {
    baseline: { n: number; fromAt?: number; toAt?: number };
    recent: { n: number; fromAt?: number; toAt?: number; from?: EvaluationCursor };
  };
}

const isEvaluationMetric = (m: DriftMetric): boolean =>
  (EVALUATION_METRICS as readonly string[]).includes(m);

export class DriftMonitor {
  /** Observations per series seen by this process, for the evaluation cadence. */
  private readonly counts = new Map<string, number>();
  /** Series being evaluated now: a burst never queues a second evaluation of one series. */
  private readonly running = new Set<string>();

  constructor(
    private readonly deps: {
      store: TenantStore;
      logger: Logger;
      settings: DriftMonitorSettings;
      now: () => number;
      /** Writes `drift.detected` to the event log (webhooks); absent in the API process. */
      publish?: (event: NewKeelEvent) => Promise<unknown>;
    },
  ) {}

  /** One observed task: one insert, and now and then an evaluation that is not waited for. */
  async observe(tenantId: string, o: DriftObservation): Promise<void> {
    await this.deps.store.drift.record(tenantId, o, this.deps.now());
    this.tick(seriesKey(o), o);
  }

  /**
   * One evaluated answer of the series was recorded (its row is written by the evaluation's
   * activity): now and then the series is checked, its evaluation rates with it.
   */
  evaluated(s: DriftSeries): void {
    this.tick(`evaluations|${seriesKey(s)}`, s);
  }

  /** Counts `key`; every `evaluateEvery`-th time checks the series, not waited for. */
  private tick(key: string, s: DriftSeries): void {
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    const running = seriesKey(s);
    if (count % this.deps.settings.evaluateEvery !== 0 || this.running.has(running)) return;
    this.running.add(running);
    const series = {
      task: s.task,
      provider: s.provider,
      model: s.model,
      promptVersion: s.promptVersion,
    };
    void this.check(series)
      .catch((err: unknown) => this.deps.logger.warn({ err, ...series }, 'drift evaluation failed'))
      .finally(() => this.running.delete(running));
  }

  /** Evaluate a series and move its alerts: raise what drifted, resolve what is stable again. */
  async check(s: DriftSeries): Promise<Evaluation> {
    const evaluation = await this.evaluate(s);
    const at = this.deps.now();
    for (const m of evaluation.metrics) {
      if (!m.enoughSamples) continue;
      if (m.drifted) {
        if (await this.deps.store.drift.raise(s, m.metric, m, at))
          await this.tell(s, m, evaluation, at);
      } else if (await this.deps.store.drift.resolve(s, m.metric, at)) {
        this.deps.logger.info(
          { event: 'drift.resolved', ...s, metric: m.metric, pValue: m.pValue, psi: m.psi },
          'drift resolved',
        );
      }
    }
    return evaluation;
  }

  /** The baseline (the series' first observations) against the latest after it. */
  async evaluate(s: DriftSeries): Promise<Evaluation> {
    const { settings } = this.deps;
    const baseline = await this.deps.store.drift.first(s, settings.baseline);
    const full = baseline.length >= settings.baseline;
    const recent = full
      ? await this.deps.store.drift.latest(s, baseline.at(-1)!.id, settings.window)
      : [];
    const rated = await this.evaluationWindows(s);
    const metrics = [
      ...compareWindows(baseline, recent, settings),
      ...(rated ? compareEvaluationRates(rated.baseline, rated.recent, settings) : []),
    ];
    const status: SeriesStatus = metrics.some((m) => m.drifted)
      ? 'drifted'
      : metrics.some((m) => m.enoughSamples)
        ? 'stable'
        : !full
          ? 'collecting-baseline'
          : 'collecting-window';
    return {
      status,
      metrics,
      ...(rated
        ? {
            evaluations: {
              baseline: { n: rated.baseline.length, ...times(rated.baseline, false) },
              recent: {
                n: rated.recent.length,
                ...times(rated.recent, true),
                ...(rated.recent.length ? { from: rated.recent.at(-1)! } : {}),
              },
            },
          }
        : {}),
      baseline: {
        n: baseline.length,
        ...(baseline.length ? { fromAt: baseline[0]!.at, toAt: baseline.at(-1)!.at } : {}),
      },
      recent: {
        n: recent.length,
        ...(recent.length
          ? { fromAt: recent.at(-1)!.at, toAt: recent[0]!.at, fromId: recent.at(-1)!.id }
          : {}),
      },
    };
  }

  /** The series' first evaluations (the baseline) and its latest after them; none: undefined. */
  private async evaluationWindows(
    s: DriftSeries,
  ): Promise<{ baseline: WindowedEvaluation[]; recent: WindowedEvaluation[] } | undefined> {
    const { settings } = this.deps;
    const baseline = await this.deps.store.evaluations.first(s, settings.baseline);
    if (baseline.length === 0) return undefined;
    const recent =
      baseline.length >= settings.baseline
        ? await this.deps.store.evaluations.latest(s, baseline.at(-1)!, settings.window)
        : [];
    return { baseline, recent };
  }

  /** Every series (narrowed by `filter`), evaluated now, with its alerts. */
  async report(filter: Partial<DriftSeries> = {}): Promise<SeriesReport[]> {
    const [observed, evaluated] = await Promise.all([
      this.deps.store.drift.series(filter),
      this.deps.store.evaluations.series(filter),
    ]);
    // A series with evaluations but no observation of its own (its answers came from a
    // fallback) is listed too, after the observed ones.
    const counted = new Map(evaluated.map((e) => [seriesKey(e), e.observations] as const));
    const seen = new Set(observed.map(seriesKey));
    const all = [
      ...observed,
      ...evaluated.filter((e) => !seen.has(seriesKey(e))).map((e) => ({ ...e, observations: 0 })),
    ];
    return Promise.all(
      all.map(async ({ observations, lastAt: _lastAt, ...s }) => {
        const [e, alerts] = await Promise.all([this.evaluate(s), this.deps.store.drift.alerts(s)]);
        return {
          ...s,
          observations,
          status: e.status,
          baseline: { n: e.baseline.n, ...span(e.baseline) },
          recent: { n: e.recent.n, ...span(e.recent) },
          ...(e.evaluations
            ? {
                evaluations: {
                  evaluated: counted.get(seriesKey(s)) ?? 0,
                  baseline: { n: e.evaluations.baseline.n, ...span(e.evaluations.baseline) },
                  recent: { n: e.evaluations.recent.n, ...span(e.evaluations.recent) },
                },
              }
            : {}),
          metrics: e.metrics,
          alerts: alerts.map((a) => ({
            metric: a.metric,
            firing: a.firing,
            raised: a.raised,
            ...(a.raisedAt !== null ? { raisedAt: iso(a.raisedAt) } : {}),
            ...(a.resolvedAt !== null ? { resolvedAt: iso(a.resolvedAt) } : {}),
          })),
        };
      }),
    );
  }

  private async tell(s: DriftSeries, m: MetricDrift, e: Evaluation, at: number): Promise<void> {
    recordDriftAlert({ task: s.task, provider: s.provider, model: s.model, metric: m.metric });
    const figures = {
      metric: m.metric,
      test: m.test,
      statistic: m.statistic,
      pValue: m.pValue,
      psi: m.psi,
      baseline: m.baseline,
      recent: m.recent,
    };
    // Ids and numbers only: the series, the test and the two windows' figures.
    this.deps.logger.warn(
      {
        event: 'drift.detected',
        ...s,
        metric: m.metric,
        test: m.test,
        statistic: m.statistic,
        pValue: m.pValue,
        psi: m.psi,
        baselineN: m.baseline.n,
        recentN: m.recent.n,
      },
      `drift detected: ${m.metric} of ${s.task} on ${s.provider}:${s.model}`,
    );
    const publish = this.deps.publish;
    if (!publish) return;
    // Each tenant whose traffic is in the drifted window hears of it through its own webhooks.
    const from = e.evaluations?.recent.from;
    const tenants = isEvaluationMetric(m.metric)
      ? from && (await this.deps.store.evaluations.tenantsSince(s, from))
      : e.recent.fromId !== undefined &&
        (await this.deps.store.drift.tenantsSince(s, e.recent.fromId));
    for (const tenantId of tenants || []) {
      await publish({
        tenantId,
        subject: tenantId,
        type: 'drift.detected',
        key: `drift:${seriesKey(s)}:${m.metric}:${at}:${tenantId}`,
        data: { ...s, ...figures, raisedAt: iso(at) },
      }).catch((err: unknown) =>
        this.deps.logger.warn({ err, tenant: tenantId }, 'drift event not written'),
      );
    }
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A window's first and last times; `newestFirst` when it is read newest first. */
function times(
  w: readonly { at: number }[],
  newestFirst: boolean,
): { fromAt?: number; toAt?: number } {
  if (w.length === 0) return {};
  const [a, b] = [w[0]!.at, w.at(-1)!.at];
  return newestFirst ? { fromAt: b, toAt: a } : { fromAt: a, toAt: b };
}

function span(w: { fromAt?: number; toAt?: number }): { from?: string; to?: string } {
  return w.fromAt === undefined || w.toAt === undefined
    ? {}
    : { from: iso(w.fromAt), to: iso(w.toAt) };
}
