import { Inject, Injectable } from '@nestjs/common';
import {
  CreatePromptVersionBody,
  PromptScopeQuery,
  PutRolloutBody,
  type PromptRolloutBody,
  type PromptRolloutResultBody,
  type PromptStatsBody,
  type PromptVersionBody,
  type PromptVersionListBody,
} from '../shared/contracts/prompts';
import { findServedTask, type AnyTaskDefinition } from '../shared/tasks';
import { inputFieldsOf, unknownPlaceholders, WHOLE_INPUT } from '../shared/tasks/prompt-template';
import { fromMicros } from '../shared/tenancy/plans';
import { rolloutProblems } from '../shared/tenancy/prompt-rollout';
import {
  PLATFORM_AUDIT_TENANT,
  type PromptVersion,
  type StoredRollout,
} from '../shared/tenancy/store';
import type { Tenancy } from '../shared/tenancy/open';
import type { Tenant } from '../shared/tenancy/directory';
import { AuditService } from './audit.service';
import { invalidRequest, parse, ProblemError } from './problem';
import { isOperator, scopedTenant } from './tenant-scope';
import { TENANCY } from './tokens';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The prompt registry's admin rules (docs/prompt-registry.md). The platform operator manages the
 * global versions and rollout (and, naming `tenant`, any tenant's overrides); a tenant admin only
 * its own tenant's overrides, and sees the global versions beside them. Versions are append-only:
 * there is no update or delete, so a version a job ran with always reads back the same.
 */
@Injectable()
export class PromptsService {
  constructor(
    @Inject(TENANCY) private readonly tenancy: Tenancy,
    @Inject(AuditService) private readonly trail: AuditService,
  ) {}

  private get prompts(): Tenancy['store']['prompts'] {
    return this.tenancy.store.prompts;
  }

  async create(
    actor: Tenant,
    taskName: string,
    body: unknown,
    now: number,
  ): Promise<PromptVersionBody> {
    const task = requireTask(taskName);
    const b = parse(CreatePromptVersionBody, body, 'body');
    const tenantId = await this.scope(actor, b.tenant, 'tenant');
    const fields = inputFieldsOf(task);
    const unknown = unknownPlaceholders(b.userTemplate, fields);
    if (unknown.length > 0) {
      const known = [...fields, WHOLE_INPUT].map((f) => `{{${f}}}`).join(', ');
      throw invalidRequest(`The template names fields the input of ${task.name} does not have.`, [
        {
          field: 'userTemplate',
          message: `unknown placeholder ${unknown.map((f) => `{{${f}}}`).join(', ')}; known: ${known}`,
        },
      ]);
    }
    const version = await this.prompts.create({
      task: task.name,
      tenantId: tenantId ?? null,
      system: b.system,
      userTemplate: b.userTemplate,
      ...(b.note !== undefined ? { note: b.note } : {}),
      createdBy: actor.keyId ? `key:${actor.keyId}` : 'system',
      now,
    });
    await this.trail.record(
      actor,
      tenantId ?? PLATFORM_AUDIT_TENANT,
      'prompt.version-created',
      { task: task.name, version: version.id },
      now,
    );
    return versionBody(version);
  }

  async list(actor: Tenant, taskName: string, query: unknown): Promise<PromptVersionListBody> {
    const task = requireTask(taskName);
    const q = parse(PromptScopeQuery, query, 'query');
    const tenantId = (await this.scope(actor, q.tenant, 'query.tenant')) ?? null;
    const versions = await this.prompts.list(task.name, tenantId);
    return {
      items: [builtInBody(task), ...versions.map(versionBody)],
      ...(await this.rolloutState(task.name, tenantId)),
    };
  }

  async putRollout(
    actor: Tenant,
    taskName: string,
    body: unknown,
    now: number,
  ): Promise<PromptRolloutResultBody> {
    const task = requireTask(taskName);
    const b = parse(PutRolloutBody, body, 'body');
    const tenantId = (await this.scope(actor, b.tenant, 'tenant')) ?? null;
    const known = new Set([
      task.prompt.version,
      ...(await this.prompts.list(task.name, tenantId)).map((v) => v.id),
    ]);
    const errors = [
      ...b.versions.flatMap((v, i) =>
        known.has(v.version)
          ? []
          : [
              {
                field: `versions.${i}.version`,
                message: `no version "${v.version}" of ${task.name} in this scope`,
              },
            ],
      ),
      ...(b.versions.length > 0 ? rolloutProblems(b.versions) : []),
    ];
    if (errors.length > 0) throw invalidRequest('The rollout is not valid.', errors);
    const rollout =
      b.versions.length > 0 ? { stickiness: b.stickiness, versions: b.versions } : undefined;
    await this.prompts.setRollout(task.name, tenantId, rollout, now);
    await this.trail.record(
      actor,
      tenantId ?? PLATFORM_AUDIT_TENANT,
      'prompt.rollout-set',
      { task: task.name, versions: b.versions, stickiness: b.stickiness },
      now,
    );
    return this.rolloutState(task.name, tenantId);
  }

  async stats(actor: Tenant, taskName: string, query: unknown): Promise<PromptStatsBody> {
    const task = requireTask(taskName);
    const q = parse(PromptScopeQuery, query, 'query');
    // The operator naming no tenant sees every tenant's jobs.
    const tenantId = await this.scope(actor, q.tenant, 'query.tenant');
    const rows = await this.prompts.stats(task.name, tenantId);
    const rateOf = (n: number, jobs: number): number | null => (jobs > 0 ? n / jobs : null);
    return {
      task: task.name,
      tenant: tenantId ?? null,
      versions: rows.map((r) => ({
        version: r.version,
        jobs: r.jobs,
        validRate: rateOf(r.validAnswers, r.jobs),
        reaskRate: rateOf(r.reasked, r.jobs),
        reviewRate: rateOf(r.reviewed, r.jobs),
        degradedRate: rateOf(r.degraded, r.jobs),
        latencyP50Ms: r.latencyP50Ms,
        calls: r.calls,
        failedCalls: r.failedCalls,
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        costUsd: fromMicros(r.costMicros),
        costPerJobUsd: r.jobs > 0 ? fromMicros(r.costMicros) / r.jobs : null,
      })),
    };
  }

  /**
   * The scope a request acts on: the operator's (undefined: global) or a named tenant that
   * exists; a tenant admin's own tenant (naming another: 403 on `field`).
   */
  private async scope(
    actor: Tenant,
    named: string | undefined,
    field: string,
  ): Promise<string | undefined> {
    const tenantId = scopedTenant(actor, named, field);
    if (
      tenantId !== undefined &&
      isOperator(actor) &&
      !(await this.tenancy.store.getTenant(tenantId))
    )
      throw ProblemError.of('tenant-not-found', `No tenant "${tenantId}".`);
    return tenantId;
  }

  private async rolloutState(
    task: string,
    tenantId: string | null,
  ): Promise<Pick<PromptVersionListBody, 'rollout' | 'inEffect'>> {
    const own = await this.prompts.rollout(task, tenantId);
    if (own)
      return { rollout: rolloutBody(own), inEffect: tenantId === null ? 'global' : 'tenant' };
    const global = tenantId === null ? undefined : await this.prompts.rollout(task, null);
    return { rollout: null, inEffect: global ? 'global' : 'built-in' };
  }
}

function requireTask(name: string): AnyTaskDefinition {
  const task = findServedTask(name);
  if (!task) throw ProblemError.of('unknown-task', `No task "${name}" has a prompt.`);
  return task;
}

function builtInBody(task: AnyTaskDefinition): PromptVersionBody {
  return {
    id: task.prompt.version,
    task: task.name,
    tenant: null,
    builtIn: true,
    system: task.prompt.system,
    userTemplate: null,
    note: 'the prompt in code',
    createdAt: null,
  };
}

function versionBody(v: PromptVersion): PromptVersionBody {
  return {
    id: v.id,
    task: v.task,
    tenant: v.tenantId,
    builtIn: false,
    system: v.system,
    userTemplate: v.userTemplate,
    note: v.note,
    createdAt: iso(v.createdAt),
  };
}

function rolloutBody(r: StoredRollout): PromptRolloutBody {
  return {
    task: r.task,
    tenant: r.tenantId,
    stickiness: r.rollout.stickiness,
    versions: r.rollout.versions,
    updatedAt: iso(r.updatedAt),
  };
}
