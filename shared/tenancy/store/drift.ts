import type { Kysely, Selectable } from 'kysely';
import type { DriftObservation } from '../../observability/observation';
import type { StoreSchema } from './schema';
import type { DriftObservationsTable } from './schema-lifecycle';

/**
 * Drift detection's data (docs/drift.md): one row per observed task (numbers and flags, never
 * content) and one row per series and metric for its alert. A series is one task on one model
 * with one prompt version; every replica writes and reads the same rows.
 */

/** The key of a series: task, `provider:model` and prompt version. */
export interface DriftSeries {
  task: string;
  provider: string;
  model: string;
  promptVersion: string;
}

export const seriesKey = (s: DriftSeries): string =>
  `${s.task}|${s.provider}:${s.model}|${s.promptVersion}`;

export interface StoredObservation extends DriftObservation {
  id: number;
  at: number;
}

export interface SeriesSummary extends DriftSeries {
  observations: number;
  lastAt: number;
}

export interface DriftAlertRow extends DriftSeries {
  metric: string;
  firing: boolean;
  raisedAt: number | null;
  resolvedAt: number | null;
  /** Times it was raised. */
  raised: number;
  /** The metric's figures when it was last raised (JSON of MetricDrift). */
  detail: unknown;
}

export class DriftStore {
  constructor(private readonly db: Kysely<StoreSchema>) {}

  /** One insert per observed task. */
  async record(tenantId: string, o: DriftObservation, at: number): Promise<void> {
    await this.db
      .insertInto('drift_observations')
      .values({
        series: seriesKey(o),
        tenant_id: tenantId,
        task: o.task,
        provider: o.provider,
        model: o.model,
        prompt_version: o.promptVersion,
        at,
        validation_failed: o.validationFailed ? 1 : 0,
        refused: o.refused ? 1 : 0,
        output_chars: o.outputChars ?? null,
        confidence: o.confidence ?? null,
        category: o.category ?? null,
      })
      .execute();
  }

  /** The series' first `limit` observations, oldest first. */
  async first(s: DriftSeries, limit: number): Promise<StoredObservation[]> {
    const rows = await this.db
      .selectFrom('drift_observations')
      .selectAll()
      .where('series', '=', seriesKey(s))
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(observationFromRow);
  }

  /** The series' latest `limit` observations after `afterId`, newest first. */
  async latest(s: DriftSeries, afterId: number, limit: number): Promise<StoredObservation[]> {
    const rows = await this.db
      .selectFrom('drift_observations')
      .selectAll()
      .where('series', '=', seriesKey(s))
      .where('id', '>', afterId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(observationFromRow);
  }

  /** The tenants with an observation of the series from `fromId` on (the recent window's). */
  async tenantsSince(s: DriftSeries, fromId: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('drift_observations')
      .select('tenant_id')
      .distinct()
      .where('series', '=', seriesKey(s))
      .where('id', '>=', fromId)
      .execute();
    return rows.map((r) => r.tenant_id).sort();
  }

  /** Every series with its observation count, optionally narrowed. */
  async series(filter: Partial<DriftSeries> = {}): Promise<SeriesSummary[]> {
    let q = this.db
      .selectFrom('drift_observations')
      .select((eb) => [
        'task',
        'provider',
        'model',
        'prompt_version',
        eb.fn.countAll().as('n'),
        eb.fn.max('at').as('last_at'),
      ])
      .groupBy(['series', 'task', 'provider', 'model', 'prompt_version'])
      .orderBy('task')
      .orderBy('provider')
      .orderBy('model')
      .orderBy('prompt_version');
    if (filter.task) q = q.where('task', '=', filter.task);
    if (filter.provider) q = q.where('provider', '=', filter.provider);
    if (filter.model) q = q.where('model', '=', filter.model);
    if (filter.promptVersion) q = q.where('prompt_version', '=', filter.promptVersion);
    const rows = await q.execute();
    return rows.map((r) => ({
      task: r.task,
      provider: r.provider,
      model: r.model,
      promptVersion: r.prompt_version,
      observations: Number(r.n),
      lastAt: Number(r.last_at),
    }));
  }

  /** The series' alerts (firing or resolved), by metric. */
  async alerts(s: DriftSeries): Promise<DriftAlertRow[]> {
    const rows = await this.db
      .selectFrom('drift_alerts')
      .selectAll()
      .where('series', '=', seriesKey(s))
      .orderBy('metric')
      .execute();
    return rows.map((r) => ({
      task: r.task,
      provider: r.provider,
      model: r.model,
      promptVersion: r.prompt_version,
      metric: r.metric,
      firing: Number(r.firing) === 1,
      raisedAt: r.raised_at === null ? null : Number(r.raised_at),
      resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
      raised: Number(r.raised),
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }));
  }

  /** Firing alerts per metric, across series (the gauge). */
  async firingByMetric(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('drift_alerts')
      .select((eb) => ['metric', eb.fn.countAll().as('n')])
      .where('firing', '=', 1)
      .groupBy('metric')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.metric, Number(r.n)]));
  }

  /**
   * Raise the metric's alert unless it is firing already. True for exactly one caller of all
   * replicas racing to raise it (a conditional update), which then tells the world.
   */
  async raise(s: DriftSeries, metric: string, detail: unknown, at: number): Promise<boolean> {
    await this.db
      .insertInto('drift_alerts')
      .values({
        series: seriesKey(s),
        metric,
        task: s.task,
        provider: s.provider,
        model: s.model,
        prompt_version: s.promptVersion,
        firing: 0,
        raised_at: null,
        resolved_at: null,
        raised: 0,
        detail: null,
      })
      .onConflict((oc) => oc.columns(['series', 'metric']).doNothing())
      .execute();
    const result = await this.db
      .updateTable('drift_alerts')
      .set((eb) => ({
        firing: 1,
        raised_at: at,
        raised: eb('raised', '+', 1),
        detail: JSON.stringify(detail),
      }))
      .where('series', '=', seriesKey(s))
      .where('metric', '=', metric)
      .where('firing', '=', 0)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Resolve the metric's alert if it is firing; true for the one caller that did. */
  async resolve(s: DriftSeries, metric: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('drift_alerts')
      .set({ firing: 0, resolved_at: at })
      .where('series', '=', seriesKey(s))
      .where('metric', '=', metric)
      .where('firing', '=', 1)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function observationFromRow(r: Selectable<DriftObservationsTable>): StoredObservation {
  return {
    id: Number(r.id),
    at: Number(r.at),
    task: r.task,
    provider: r.provider,
    model: r.model,
    promptVersion: r.prompt_version,
    validationFailed: Number(r.validation_failed) === 1,
    refused: Number(r.refused) === 1,
    ...(r.output_chars === null ? {} : { outputChars: Number(r.output_chars) }),
    ...(r.confidence === null ? {} : { confidence: Number(r.confidence) }),
    ...(r.category === null ? {} : { category: r.category }),
  };
}
