import type { Kysely } from 'kysely';
import type { StoreSchema } from './schema';

/**
 * Per prompt version of a task: what the tenant store holds about the jobs and calls that ran
 * with it (docs/prompt-registry.md#statistics). Job figures come from `job_outcomes` (completed
 * jobs of a billed tenant, recorded since migration 0011); call figures from `usage_ledger`
 * (every billed model call, failed ones included).
 */
export interface PromptVersionStats {
  version: string;
  /** Completed jobs. */
  jobs: number;
  /** Jobs answered by a validated model answer (not a downgrade). */
  validAnswers: number;
  /** Jobs in which a candidate's answer was rejected and re-asked. */
  reasked: number;
  /** Jobs a person reviewed (`path: review`). */
  reviewed: number;
  /** Jobs that ended on a downgrade (`path: degraded`). */
  degraded: number;
  /** Median `meta.latencyMs` of the jobs; null without any. */
  latencyP50Ms: number | null;
  /** Billed model calls (failed and interrupted ones included). */
  calls: number;
  failedCalls: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

const empty = (version: string): PromptVersionStats => ({
  version,
  jobs: 0,
  validAnswers: 0,
  reasked: 0,
  reviewed: 0,
  degraded: 0,
  latencyP50Ms: null,
  calls: 0,
  failedCalls: 0,
  inputTokens: 0,
  outputTokens: 0,
  costMicros: 0,
});

/** One row per version seen in either table, sorted by version; `tenantId` undefined: all. */
export async function promptStats(
  db: Kysely<StoreSchema>,
  task: string,
  tenantId: string | undefined,
): Promise<PromptVersionStats[]> {
  const jobs = await db
    .selectFrom('job_outcomes')
    .select((eb) => [
      'prompt_version',
      eb.fn.countAll<number>().as('jobs'),
      eb.fn.sum<number>('valid').as('valid'),
      eb.fn.sum<number>(eb.fn.coalesce('reasked', eb.lit(0))).as('reasked'),
      eb.fn.sum<number>(eb.case().when('path', '=', 'review').then(1).else(0).end()).as('reviewed'),
      eb.fn
        .sum<number>(eb.case().when('path', '=', 'degraded').then(1).else(0).end())
        .as('degraded'),
      eb.fn.count<number>('latency_ms').as('timed'),
    ])
    .where('task', '=', task)
    .where('prompt_version', 'is not', null)
    .$if(tenantId !== undefined, (qb) => qb.where('tenant_id', '=', tenantId!))
    .groupBy('prompt_version')
    .execute();
  const calls = await db
    .selectFrom('usage_ledger')
    .select((eb) => [
      'prompt_version',
      eb.fn.countAll<number>().as('calls'),
      eb.fn
        .sum<number>(eb.case().when('outcome', '!=', 'ok').then(1).else(0).end())
        .as('failed_calls'),
      eb.fn.sum<number>('input_tokens').as('input_tokens'),
      eb.fn.sum<number>('output_tokens').as('output_tokens'),
      eb.fn.sum<number>('cost_micros').as('cost_micros'),
    ])
    .where('task', '=', task)
    .$if(tenantId !== undefined, (qb) => qb.where('tenant_id', '=', tenantId!))
    .groupBy('prompt_version')
    .execute();

  const rows = new Map<string, PromptVersionStats>();
  const rowOf = (version: string): PromptVersionStats => {
    let row = rows.get(version);
    if (!row) rows.set(version, (row = empty(version)));
    return row;
  };
  for (const j of jobs) {
    const row = rowOf(j.prompt_version!);
    row.jobs = Number(j.jobs);
    row.validAnswers = Number(j.valid ?? 0);
    row.reasked = Number(j.reasked ?? 0);
    row.reviewed = Number(j.reviewed ?? 0);
    row.degraded = Number(j.degraded ?? 0);
    const timed = Number(j.timed);
    if (timed > 0) row.latencyP50Ms = await median(db, task, j.prompt_version!, tenantId, timed);
  }
  for (const c of calls) {
    const row = rowOf(c.prompt_version);
    row.calls = Number(c.calls);
    row.failedCalls = Number(c.failed_calls ?? 0);
    row.inputTokens = Number(c.input_tokens ?? 0);
    row.outputTokens = Number(c.output_tokens ?? 0);
    row.costMicros = Number(c.cost_micros ?? 0);
  }
  return [...rows.values()].sort((a, b) => (a.version < b.version ? -1 : 1));
}

/** The lower median of the version's job latencies: one indexed read at its offset. */
async function median(
  db: Kysely<StoreSchema>,
  task: string,
  version: string,
  tenantId: string | undefined,
  count: number,
): Promise<number | null> {
  const row = await db
    .selectFrom('job_outcomes')
    .select('latency_ms')
    .where('task', '=', task)
    .where('prompt_version', '=', version)
    .where('latency_ms', 'is not', null)
    .$if(tenantId !== undefined, (qb) => qb.where('tenant_id', '=', tenantId!))
    .orderBy('latency_ms')
    .limit(1)
    .offset(Math.floor((count - 1) / 2))
    .executeTakeFirst();
  return row?.latency_ms == null ? null : Number(row.latency_ms);
}
