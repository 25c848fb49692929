import type { Kysely, Selectable } from 'kysely';
import type { StoreSchema } from './schema';
import type { ExperimentResultsTable, ExperimentsTable } from './schema-lifecycle';

/**
 * Shadow tests' data (docs/experiments.md): an experiment names a task, a scope (one tenant or
 * every tenant), a candidate prompt version and/or route and a sample rate; each shadowed job
 * adds one comparison row (flags and numbers, never content). Every replica reads the same rows.
 */

export const EXPERIMENT_STATUSES = ['running', 'stopped'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export interface Experiment {
  id: string;
  task: string;
  /** The tenant whose traffic is sampled; null: every tenant's. */
  tenantId: string | null;
  /** A registry prompt version the shadow renders with; null: the live job's version. */
  candidatePromptId: string | null;
  /** `provider:model` the shadow calls; null: the live job's model. */
  candidateRoute: string | null;
  /** Share of the scope's completed jobs shadowed, 0–1. */
  sampleRate: number;
  status: ExperimentStatus;
  createdBy: string;
  createdAt: number;
  stoppedAt: number | null;
}

export type NewExperiment = Omit<Experiment, 'status' | 'stoppedAt'>;

/** One shadowed job: the live answer against the candidate's. */
export interface ExperimentResult {
  experimentId: string;
  jobId: string;
  tenantId: string;
  at: number;
  /** The candidate's answer passed validation. */
  shadowValid: boolean;
  /** Why there is no valid shadow answer (a failure type, a layer); null when valid. */
  shadowError: string | null;
  /** The enum field's values agree; null when the task has no enum field or a side has none. */
  agree: boolean | null;
  /** Top-level output fields compared (both answers), and those whose values differ. */
  fields: string[];
  diffFields: string[];
  liveLatencyMs: number;
  shadowLatencyMs: number;
  liveCostMicros: number;
  shadowCostMicros: number;
  shadowProvider: string;
  shadowModel: string;
}

/** Most comparison rows one report reads (newest first). */
export const RESULTS_READ_LIMIT = 100_000;

export class ExperimentStore {
  constructor(private readonly db: Kysely<StoreSchema>) {}

  async create(e: NewExperiment): Promise<Experiment> {
    await this.db
      .insertInto('experiments')
      .values({
        id: e.id,
        task: e.task,
        tenant_id: e.tenantId,
        candidate_prompt_id: e.candidatePromptId,
        candidate_route: e.candidateRoute,
        sample_rate: e.sampleRate,
        status: 'running',
        created_by: e.createdBy,
        created_at: e.createdAt,
        stopped_at: null,
      })
      .execute();
    return { ...e, status: 'running', stoppedAt: null };
  }

  async get(id: string): Promise<Experiment | undefined> {
    const row = await this.db
      .selectFrom('experiments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && experimentFromRow(row);
  }

  /** Every experiment, or those whose scope is `tenantId`'s own, newest first. */
  async list(filter: { tenantId?: string; status?: ExperimentStatus } = {}): Promise<Experiment[]> {
    let q = this.db.selectFrom('experiments').selectAll().orderBy('created_at', 'desc');
    if (filter.tenantId !== undefined) q = q.where('tenant_id', '=', filter.tenantId);
    if (filter.status) q = q.where('status', '=', filter.status);
    return (await q.orderBy('id').execute()).map(experimentFromRow);
  }

  /** Running experiments of a task that sample `tenantId`'s traffic (its own or every tenant's). */
  async runningFor(task: string, tenantId: string): Promise<Experiment[]> {
    const rows = await this.db
      .selectFrom('experiments')
      .selectAll()
      .where('task', '=', task)
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('tenant_id', '=', tenantId), eb('tenant_id', 'is', null)]))
      .execute();
    return rows.map(experimentFromRow);
  }

  /** Stop sampling; true when this call stopped it (false: stopped already). */
  async stop(id: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('experiments')
      .set({ status: 'stopped', stopped_at: at })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** One comparison; a second one for the same job (a retried activity) is ignored. */
  async record(r: ExperimentResult): Promise<void> {
    await this.db
      .insertInto('experiment_results')
      .values({
        experiment_id: r.experimentId,
        job_id: r.jobId,
        tenant_id: r.tenantId,
        at: r.at,
        shadow_valid: r.shadowValid ? 1 : 0,
        shadow_error: r.shadowError,
        agree: r.agree === null ? null : r.agree ? 1 : 0,
        fields: JSON.stringify(r.fields),
        diff_fields: JSON.stringify(r.diffFields),
        live_latency_ms: Math.round(r.liveLatencyMs),
        shadow_latency_ms: Math.round(r.shadowLatencyMs),
        live_cost_micros: Math.round(r.liveCostMicros),
        shadow_cost_micros: Math.round(r.shadowCostMicros),
        shadow_provider: r.shadowProvider,
        shadow_model: r.shadowModel,
      })
      .onConflict((oc) => oc.columns(['experiment_id', 'job_id']).doNothing())
      .execute();
  }

  /** The experiment's comparisons, newest first, at most `limit`. */
  async results(experimentId: string, limit = RESULTS_READ_LIMIT): Promise<ExperimentResult[]> {
    const rows = await this.db
      .selectFrom('experiment_results')
      .selectAll()
      .where('experiment_id', '=', experimentId)
      .orderBy('at', 'desc')
      .orderBy('job_id')
      .limit(limit)
      .execute();
    return rows.map(resultFromRow);
  }

  /** Comparisons per experiment (the list's `n`). */
  async counts(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('experiment_results')
      .select((eb) => ['experiment_id', eb.fn.countAll().as('n')])
      .groupBy('experiment_id')
      .execute();
    return new Map(rows.map((r) => [r.experiment_id, Number(r.n)]));
  }

  /** Erasure: a tenant's experiments and every comparison of its jobs. */
  async eraseTenant(tenantId: string): Promise<void> {
    await this.db.deleteFrom('experiment_results').where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('experiments').where('tenant_id', '=', tenantId).execute();
  }
}

function experimentFromRow(r: Selectable<ExperimentsTable>): Experiment {
  return {
    id: r.id,
    task: r.task,
    tenantId: r.tenant_id,
    candidatePromptId: r.candidate_prompt_id,
    candidateRoute: r.candidate_route,
    sampleRate: Number(r.sample_rate),
    status: r.status as ExperimentStatus,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    stoppedAt: r.stopped_at === null ? null : Number(r.stopped_at),
  };
}

function resultFromRow(r: Selectable<ExperimentResultsTable>): ExperimentResult {
  return {
    experimentId: r.experiment_id,
    jobId: r.job_id,
    tenantId: r.tenant_id,
    at: Number(r.at),
    shadowValid: Number(r.shadow_valid) === 1,
    shadowError: r.shadow_error,
    agree: r.agree === null ? null : Number(r.agree) === 1,
    fields: JSON.parse(r.fields) as string[],
    diffFields: JSON.parse(r.diff_fields) as string[],
    liveLatencyMs: Number(r.live_latency_ms),
    shadowLatencyMs: Number(r.shadow_latency_ms),
    liveCostMicros: Number(r.live_cost_micros),
    shadowCostMicros: Number(r.shadow_cost_micros),
    shadowProvider: r.shadow_provider,
    shadowModel: r.shadow_model,
  };
}
