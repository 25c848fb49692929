import type { Kysely } from 'kysely';
import type { StoreSchema } from './schema';
import { utcDay, type JobOutcome, type UsageGroup, type UsageQuery, type UsageRow } from './types';

/**
 * The usage report: calls, tokens and cost from the ledger, jobs and valid answers from the job
 * outcomes, each grouped in SQL and merged here by group. Both tables name the grouped columns
 * alike, so one mapping serves both.
 */

type GroupColumn = 'tenant_id' | 'task' | 'provider' | 'model' | 'day' | 'key_id';

const COLUMNS: Record<UsageGroup, GroupColumn[]> = {
  tenant: ['tenant_id'],
  task: ['task'],
  model: ['provider', 'model'],
  day: ['day'],
  key: ['key_id'],
};

/** The group value of a missing key id or model (a job that nothing answered). */
export const NO_VALUE = 'none';

type Grouped = Partial<Record<GroupColumn, string | null>>;

function groupOf(row: Grouped, groupBy: readonly UsageGroup[]): UsageRow['group'] {
  const group: UsageRow['group'] = {};
  for (const g of groupBy) {
    switch (g) {
      case 'tenant':
        group.tenant = row.tenant_id ?? NO_VALUE;
        break;
      case 'task':
        group.task = row.task ?? NO_VALUE;
        break;
      case 'model':
        group.model = row.provider && row.model ? `${row.provider}:${row.model}` : NO_VALUE;
        break;
      case 'day':
        group.day = row.day ?? NO_VALUE;
        break;
      case 'key':
        group.key = row.key_id ?? NO_VALUE;
        break;
    }
  }
  return group;
}

/** A usage row with nothing in it yet. */
export const emptyUsage = (group: UsageRow['group'] = {}): UsageRow => ({
  group,
  calls: 0,
  failedCalls: 0,
  inputTokens: 0,
  outputTokens: 0,
  costMicros: 0,
  interruptedCalls: 0,
  estimatedCostMicros: 0,
  jobs: 0,
  validAnswers: 0,
});

export async function usage(db: Kysely<StoreSchema>, q: UsageQuery): Promise<UsageRow[]> {
  const groupBy = [...new Set(q.groupBy)];
  const columns = [...new Set(groupBy.flatMap((g) => COLUMNS[g]))];
  const grouped = columns.length > 0;

  const calls = await db
    .selectFrom('usage_ledger')
    .$if(grouped, (qb) => qb.select(columns).groupBy(columns))
    .select((eb) => [
      eb.fn.countAll<number>().as('calls'),
      eb.fn
        .sum<number>(eb.case().when('outcome', '!=', 'ok').then(1).else(0).end())
        .as('failed_calls'),
      eb.fn.sum<number>('input_tokens').as('input_tokens'),
      eb.fn.sum<number>('output_tokens').as('output_tokens'),
      eb.fn.sum<number>('cost_micros').as('cost_micros'),
      eb.fn
        .sum<number>(eb.case().when('outcome', '=', 'interrupted').then(1).else(0).end())
        .as('interrupted_calls'),
      eb.fn
        .sum<number>(eb.case().when('estimated', '=', 1).then(eb.ref('cost_micros')).else(0).end())
        .as('estimated_cost_micros'),
    ])
    .where('at', '>=', q.from)
    .where('at', '<', q.to)
    .$if(q.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', q.tenantId!))
    .execute();

  const jobs = await db
    .selectFrom('job_outcomes')
    .$if(grouped, (qb) => qb.select(columns).groupBy(columns))
    .select((eb) => [
      eb.fn.countAll<number>().as('jobs'),
      eb.fn.sum<number>('valid').as('valid_answers'),
    ])
    .where('completed_at', '>=', q.from)
    .where('completed_at', '<', q.to)
    .$if(q.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', q.tenantId!))
    .execute();

  const rows = new Map<string, UsageRow>();
  const rowFor = (r: Grouped): UsageRow => {
    const group = groupOf(r, groupBy);
    const key = JSON.stringify(groupBy.map((g) => group[g]));
    let row = rows.get(key);
    if (!row) rows.set(key, (row = emptyUsage(group)));
    return row;
  };
  for (const r of calls) {
    if (Number(r.calls) === 0) continue; // the one row an ungrouped aggregate returns for nothing
    const row = rowFor(r);
    row.calls += Number(r.calls);
    row.failedCalls += Number(r.failed_calls ?? 0);
    row.inputTokens += Number(r.input_tokens ?? 0);
    row.outputTokens += Number(r.output_tokens ?? 0);
    row.costMicros += Number(r.cost_micros ?? 0);
    row.interruptedCalls += Number(r.interrupted_calls ?? 0);
    row.estimatedCostMicros += Number(r.estimated_cost_micros ?? 0);
  }
  for (const r of jobs) {
    if (Number(r.jobs) === 0) continue;
    const row = rowFor(r);
    row.jobs += Number(r.jobs);
    row.validAnswers += Number(r.valid_answers ?? 0);
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

/** The rows added up (their groups dropped): a report's totals. */
export function totalUsage(rows: readonly UsageRow[]): UsageRow {
  const total = emptyUsage();
  for (const r of rows) {
    total.calls += r.calls;
    total.failedCalls += r.failedCalls;
    total.inputTokens += r.inputTokens;
    total.outputTokens += r.outputTokens;
    total.costMicros += r.costMicros;
    total.interruptedCalls += r.interruptedCalls;
    total.estimatedCostMicros += r.estimatedCostMicros;
    total.jobs += r.jobs;
    total.validAnswers += r.validAnswers;
  }
  return total;
}

/** A job's outcome (valid answers, for cost per success). Idempotent by jobId: the first stands. */
export async function recordJobOutcome(db: Kysely<StoreSchema>, o: JobOutcome): Promise<void> {
  await db
    .insertInto('job_outcomes')
    .values({
      job_id: o.jobId,
      tenant_id: o.tenantId,
      key_id: o.keyId,
      task: o.task,
      provider: o.provider,
      model: o.model,
      valid: o.valid ? 1 : 0,
      status: o.status,
      completed_at: o.completedAt,
      day: utcDay(o.completedAt),
      prompt_version: o.promptVersion ?? null,
      path: o.path ?? null,
      latency_ms: o.latencyMs ?? null,
      reasked: o.reasked === undefined ? null : o.reasked ? 1 : 0,
    })
    .onConflict((oc) => oc.column('job_id').doNothing())
    .execute();
}
