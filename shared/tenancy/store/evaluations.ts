import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Evaluated } from '../../observability/drift-detect';
import { seriesKey, type DriftSeries, type SeriesSummary } from './drift';
import type { StoreSchema } from './schema';
import { utcDay } from './types';

/**
 * Sampled evaluation of live traffic (docs/evaluation.md): one row per evaluated live job, flags
 * and numbers only (never the input or the answer): the verifier's verdict on the answer's
 * faithfulness, output moderation's on its safety, and what the evaluation cost. Read back as
 * counts per model × prompt version (× day), and as windows of one series (task × model × prompt
 * version, in evaluation order) for the alerts on the rates (docs/drift.md).
 */

export interface EvaluationRow {
  jobId: string;
  tenantId: string;
  task: string;
  /** The live answer's model. */
  provider: string;
  model: string;
  promptVersion: string;
  /** When it was evaluated (epoch ms); its UTC day is kept beside it for grouping. */
  at: number;
  /** The verifier's reading: true below the minimum score; null when no verdict came back. */
  unfaithful: boolean | null;
  score: number | null;
  /** Output moderation found fresh PII or profanity in the answer. */
  unsafe: boolean;
  /** Why there is no verdict (a failure type, `no verdict`); null with one. */
  error: string | null;
  /** The evaluation's own calls (never the tenant's usage). */
  costMicros: number;
  /** `provider:model` that gave the verdict (or was tried last). */
  verifier: string;
}

export interface EvaluationFilter {
  /** One tenant's rows; absent: every tenant's (the operator). */
  tenantId?: string;
  task?: string;
  from: number;
  to: number;
  byDay?: boolean;
}

/** One group's counts (summed in the database). */
export interface EvaluationCounts {
  task: string;
  provider: string;
  model: string;
  promptVersion: string;
  day?: string;
  evaluated: number;
  /** Rows with a verdict (the hallucination rate's denominator) and those judged unfaithful. */
  judged: number;
  unfaithful: number;
  unsafe: number;
  errors: number;
  costMicros: number;
}

/** One evaluated answer as the rates' windows read it. */
export interface WindowedEvaluation extends Evaluated {
  jobId: string;
  at: number;
}

/** A place in a series' evaluation order: by time, then job id. */
export type EvaluationCursor = Pick<WindowedEvaluation, 'at' | 'jobId'>;

type Where = ExpressionBuilder<StoreSchema, 'evaluations'>;
const ofSeries = (s: DriftSeries) => (eb: Where) =>
  eb.and([
    eb('task', '=', s.task),
    eb('provider', '=', s.provider),
    eb('model', '=', s.model),
    eb('prompt_version', '=', s.promptVersion),
  ]);
/** Rows after `c` in the order (at, job_id) (or from it on, with `inclusive`). */
const after =
  (c: EvaluationCursor, inclusive = false) =>
  (eb: Where) =>
    eb.or([
      eb('at', '>', c.at),
      eb.and([eb('at', '=', c.at), eb('job_id', inclusive ? '>=' : '>', c.jobId)]),
    ]);

export class EvaluationStore {
  constructor(private readonly db: Kysely<StoreSchema>) {}

  /** One evaluation; a second one for the same job (a retried activity) is ignored. */
  async record(r: EvaluationRow): Promise<void> {
    await this.db
      .insertInto('evaluations')
      .values({
        job_id: r.jobId,
        tenant_id: r.tenantId,
        task: r.task,
        provider: r.provider,
        model: r.model,
        prompt_version: r.promptVersion,
        at: r.at,
        day: utcDay(r.at),
        unfaithful: r.unfaithful === null ? null : r.unfaithful ? 1 : 0,
        score: r.score,
        unsafe: r.unsafe ? 1 : 0,
        error: r.error,
        cost_micros: Math.round(r.costMicros),
        verifier: r.verifier,
      })
      .onConflict((oc) => oc.column('job_id').doNothing())
      .execute();
  }

  /** The series' first `limit` evaluations, oldest first. */
  async first(s: DriftSeries, limit: number): Promise<WindowedEvaluation[]> {
    const rows = await this.db
      .selectFrom('evaluations')
      .select(['job_id', 'at', 'unfaithful', 'unsafe'])
      .where(ofSeries(s))
      .orderBy('at', 'asc')
      .orderBy('job_id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(windowed);
  }

  /** The series' latest `limit` evaluations after `from`, newest first. */
  async latest(
    s: DriftSeries,
    from: EvaluationCursor,
    limit: number,
  ): Promise<WindowedEvaluation[]> {
    const rows = await this.db
      .selectFrom('evaluations')
      .select(['job_id', 'at', 'unfaithful', 'unsafe'])
      .where(ofSeries(s))
      .where(after(from))
      .orderBy('at', 'desc')
      .orderBy('job_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(windowed);
  }

  /** The tenants with an evaluation of the series from `from` on (a recent window's). */
  async tenantsSince(s: DriftSeries, from: EvaluationCursor): Promise<string[]> {
    const rows = await this.db
      .selectFrom('evaluations')
      .select('tenant_id')
      .distinct()
      .where(ofSeries(s))
      .where(after(from, true))
      .execute();
    return rows.map((r) => r.tenant_id).sort();
  }

  /** Every series with evaluations and their count, optionally narrowed (GET /v1/drift). */
  async series(filter: Partial<DriftSeries> = {}): Promise<SeriesSummary[]> {
    let q = this.db
      .selectFrom('evaluations')
      .select((eb) => [
        'task',
        'provider',
        'model',
        'prompt_version',
        eb.fn.countAll().as('n'),
        eb.fn.max('at').as('last_at'),
      ])
      .groupBy(['task', 'provider', 'model', 'prompt_version']);
    if (filter.task) q = q.where('task', '=', filter.task);
    if (filter.provider) q = q.where('provider', '=', filter.provider);
    if (filter.model) q = q.where('model', '=', filter.model);
    if (filter.promptVersion) q = q.where('prompt_version', '=', filter.promptVersion);
    const rows = await q.execute();
    return rows
      .map((r) => ({
        task: r.task,
        provider: r.provider,
        model: r.model,
        promptVersion: r.prompt_version,
        observations: Number(r.n),
        lastAt: Number(r.last_at),
      }))
      .sort((a, b) => seriesKey(a).localeCompare(seriesKey(b)));
  }

  /** Counts per task × model × prompt version (× day) over `[from, to)`, summed by the database. */
  async counts(f: EvaluationFilter): Promise<EvaluationCounts[]> {
    let q = this.db
      .selectFrom('evaluations')
      .where('at', '>=', f.from)
      .where('at', '<', f.to)
      .select((eb) => [
        'task',
        'provider',
        'model',
        'prompt_version',
        eb.fn.countAll().as('evaluated'),
        eb.fn.count('unfaithful').as('judged'),
        eb.fn.sum('unfaithful').as('unfaithful'),
        eb.fn.sum('unsafe').as('unsafe'),
        eb.fn.count('error').as('errors'),
        eb.fn.sum('cost_micros').as('cost_micros'),
      ])
      .groupBy(['task', 'provider', 'model', 'prompt_version'])
      .orderBy('task')
      .orderBy('provider')
      .orderBy('model')
      .orderBy('prompt_version');
    if (f.tenantId !== undefined) q = q.where('tenant_id', '=', f.tenantId);
    if (f.task !== undefined) q = q.where('task', '=', f.task);
    const rows = f.byDay
      ? await q.select('day').groupBy('day').orderBy('day').execute()
      : await q.execute();
    return rows.map((r) => ({
      task: r.task,
      provider: r.provider,
      model: r.model,
      promptVersion: r.prompt_version,
      ...('day' in r ? { day: String(r.day) } : {}),
      evaluated: Number(r.evaluated),
      judged: Number(r.judged),
      unfaithful: Number(r.unfaithful ?? 0),
      unsafe: Number(r.unsafe ?? 0),
      errors: Number(r.errors),
      costMicros: Number(r.cost_micros ?? 0),
    }));
  }
}

function windowed(r: {
  job_id: string;
  at: number;
  unfaithful: number | null;
  unsafe: number;
}): WindowedEvaluation {
  return {
    jobId: r.job_id,
    at: Number(r.at),
    unfaithful: r.unfaithful === null ? null : Number(r.unfaithful) === 1,
    unsafe: Number(r.unsafe) === 1,
  };
}
