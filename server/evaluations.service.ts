import { Inject, Injectable } from '@nestjs/common';
import {
  DEFAULT_EVALUATION_SPAN_MS,
  EvaluationsQuery,
  MAX_EVALUATION_SPAN_MS,
  type EvaluationGroup,
  type EvaluationsBody,
} from '../shared/contracts/evaluations';
import type { Tenant } from '../shared/tenancy/directory';
import { wilson } from '../shared/observability/experiment-stats';
import { fromMicros } from '../shared/tenancy/plans';
import type { EvaluationCounts } from '../shared/tenancy/store';
import type { Tenancy } from '../shared/tenancy/open';
import { invalidRequest, parse } from './problem';
import { scopedTenant } from './tenant-scope';
import { TENANCY } from './tokens';

/**
 * `GET /v1/evaluations` (docs/evaluation.md): the sampled evaluations' counts, summed by the
 * store, with the rates and their Wilson intervals computed here. A read changes nothing.
 */
@Injectable()
export class EvaluationsService {
  constructor(@Inject(TENANCY) private readonly tenancy: Tenancy) {}

  async report(actor: Tenant, query: unknown, now: number): Promise<EvaluationsBody> {
    const q = parse(EvaluationsQuery, query, 'query');
    const to = q.to ?? now;
    const from = q.from ?? to - DEFAULT_EVALUATION_SPAN_MS;
    const errors = [
      ...(to <= from ? [{ field: 'query.to', message: 'must be after from' }] : []),
      ...(to - from > MAX_EVALUATION_SPAN_MS
        ? [{ field: 'query.from', message: 'at most 366 days before to' }]
        : []),
    ];
    if (errors.length) throw invalidRequest('Invalid query parameters.', errors);
    const tenantId = scopedTenant(actor, q.tenant);
    const counts = await this.tenancy.store.evaluations.counts({
      ...(tenantId ? { tenantId } : {}),
      ...(q.task ? { task: q.task } : {}),
      from,
      to,
      byDay: q.groupBy === 'day',
    });
    const groups = counts.map(groupOf);
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      groups,
      totals: {
        evaluated: groups.reduce((n, g) => n + g.evaluated, 0),
        costUsd: fromMicros(counts.reduce((n, c) => n + c.costMicros, 0)),
      },
    };
  }
}

function groupOf(c: EvaluationCounts): EvaluationGroup {
  return {
    task: c.task,
    model: `${c.provider}:${c.model}`,
    promptVersion: c.promptVersion,
    ...(c.day ? { day: c.day } : {}),
    evaluated: c.evaluated,
    hallucination: wilson(c.unfaithful, c.judged),
    unsafe: wilson(c.unsafe, c.evaluated),
    errors: c.errors,
    costUsd: fromMicros(c.costMicros),
  };
}
