import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  CreateExperimentBody,
  ExperimentListQuery,
  type ExperimentBody,
  type ExperimentListBody,
  type ExperimentSummary,
} from '../shared/contracts/experiments';
import { enumFieldOf, experimentStats } from '../shared/observability/experiment-stats';
import { findServedTask } from '../shared/tasks';
import type { Tenant } from '../shared/tenancy/directory';
import type { Tenancy } from '../shared/tenancy/open';
import type { Experiment } from '../shared/tenancy/store';
import { invalidRequest, parse, ProblemError } from './problem';
import { isOperator, scopedTenant } from './tenant-scope';
import { TENANCY } from './tokens';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Shadow tests' API (docs/experiments.md). The platform operator runs experiments on every
 * tenant's traffic or a named tenant's; a tenant admin on its own tenant's only, and sees only
 * those. Another tenant's experiment is a 404, the same as a missing one.
 */
@Injectable()
export class ExperimentsService {
  constructor(@Inject(TENANCY) private readonly tenancy: Tenancy) {}

  private get store(): Tenancy['store']['experiments'] {
    return this.tenancy.store.experiments;
  }

  async create(actor: Tenant, body: unknown, now: number): Promise<ExperimentBody> {
    const b = parse(CreateExperimentBody, body, 'body');
    const task = findServedTask(b.task);
    if (!task || task.conversation)
      throw invalidRequest('Shadow tests run tasks with a prompt.', [
        { field: 'task', message: `no task "${b.task}" with a prompt` },
      ]);
    const tenantId = scopedTenant(actor, b.tenant, 'tenant') ?? null;
    if (tenantId !== null && isOperator(actor) && !(await this.tenancy.store.getTenant(tenantId)))
      throw ProblemError.of('tenant-not-found', `No tenant "${tenantId}".`);
    if (b.candidatePromptId !== undefined) {
      const version = await this.tenancy.store.prompts.version(b.candidatePromptId);
      const visible = version && (version.tenantId === null || version.tenantId === tenantId);
      if (!version || version.task !== task.name || !visible)
        throw invalidRequest('The candidate prompt is not a version of this task in this scope.', [
          {
            field: 'candidatePromptId',
            message: `no version "${b.candidatePromptId}" of ${task.name} in this scope`,
          },
        ]);
    }
    const experiment = await this.store.create({
      id: `exp-${randomUUID()}`,
      task: task.name,
      tenantId,
      candidatePromptId: b.candidatePromptId ?? null,
      candidateRoute: b.candidateRoute ?? null,
      sampleRate: b.sampleRate,
      createdBy: actor.keyId ? `key:${actor.keyId}` : 'system',
      createdAt: now,
    });
    return this.report(experiment);
  }

  async list(actor: Tenant, query: unknown): Promise<ExperimentListBody> {
    const q = parse(ExperimentListQuery, query, 'query');
    const experiments = await this.store.list({
      ...(isOperator(actor) ? {} : { tenantId: actor.id }),
      ...(q.status ? { status: q.status } : {}),
    });
    const counts = await this.store.counts();
    return { items: experiments.map((e) => summaryOf(e, counts.get(e.id) ?? 0)) };
  }

  async get(actor: Tenant, id: string): Promise<ExperimentBody> {
    return this.report(await this.visible(actor, id));
  }

  async stop(actor: Tenant, id: string, now: number): Promise<ExperimentBody> {
    const experiment = await this.visible(actor, id);
    await this.store.stop(experiment.id, now);
    return this.report((await this.store.get(experiment.id)) ?? experiment);
  }

  /** The experiment if this key may see it: the operator any, a tenant admin its tenant's. */
  private async visible(actor: Tenant, id: string): Promise<Experiment> {
    const experiment = await this.store.get(id);
    if (!experiment || (!isOperator(actor) && experiment.tenantId !== actor.id))
      throw ProblemError.of('experiment-not-found', `No experiment "${id}".`);
    return experiment;
  }

  private async report(e: Experiment): Promise<ExperimentBody> {
    const rows = await this.store.results(e.id);
    const task = findServedTask(e.task);
    const errors: Record<string, number> = {};
    for (const r of rows)
      if (r.shadowError) errors[r.shadowError] = (errors[r.shadowError] ?? 0) + 1;
    return {
      ...summaryOf(e, rows.length),
      stats: {
        ...experimentStats(rows),
        enumField: (task && enumFieldOf(task.output)) ?? null,
        errors,
      },
    };
  }
}

function summaryOf(e: Experiment, n: number): ExperimentSummary {
  return {
    id: e.id,
    task: e.task,
    status: e.status,
    n,
    sampleRate: e.sampleRate,
    candidateRoute: e.candidateRoute,
    candidatePromptId: e.candidatePromptId,
    tenant: e.tenantId,
    createdAt: iso(e.createdAt)!,
    stoppedAt: iso(e.stoppedAt),
  };
}
