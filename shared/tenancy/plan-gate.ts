import type { JobTenancy, RunTaskRequest } from '../contracts/job';
import { ProblemError } from '../contracts/problem-error';
import type { KeelConfig } from '../platform/config';
import { findModel } from '../platform/model-registry';
import { callOutputCap, type AnyTaskDefinition } from '../tasks';
import { promptTokens } from '../tasks/prompt-tokens';
import type { Tenant } from './directory';
import { rateLimitHeaders, type LimitScope } from './limits';
import type { Tenancy } from './open';
import { fromMicros, toMicros } from './plans';
import { keyActor, monthPeriod } from './store';

/** The door's refusals the audit trail records (docs/audit.md). */
const AUDITED_REFUSALS: ReadonlySet<string> = new Set(['task-not-in-plan', 'budget-exceeded']);

/** A job let through: its terms (for the workflow) and the RateLimit headers for the response. */
export interface GatePass {
  tenancy?: JobTenancy;
  headers: Record<string, string>;
  /** Whether the job holds a concurrency slot (released when it ends). */
  holdsSlot: boolean;
}

/** How long past its hard timeout a job's slot is held if nobody releases it (a process died). */
const LEASE_GRACE_MS = 30_000;

/**
 * The tenant's plan at the door, before anything starts (`POST /v1/tasks/{task}`, the chat paths,
 * a Nexus operation): the task must be in the plan, a plan that rejects past its budget refuses
 * once the month's budget is spent (402), and the request, token and concurrency limits of the
 * tenant and the key must have room (429, all or nothing). What it lets through carries the
 * plan's route and budget to the job. Refusals are ProblemErrors; the API's `TenancyGate`
 * (server/tenancy-gate.ts) is this gate as a Nest provider.
 */
export class PlanGate {
  constructor(
    private readonly config: Pick<KeelConfig, 'models'>,
    private readonly tenancy: Pick<Tenancy, 'store' | 'limiter'>,
  ) {}

  async admit(args: {
    tenant: Tenant;
    task: AnyTaskDefinition;
    request: RunTaskRequest;
    jobId: string;
    now: number;
  }): Promise<GatePass> {
    const { tenant, task, request, jobId } = args;
    const terms = tenant.terms;
    if (!terms) return { headers: {}, holdsSlot: false };
    const { route, routing, limitMicros } = await this.audited(tenant, task, args.now, () =>
      this.planTerms(tenant.id, terms, task, args.now),
    );
    const scopes: LimitScope[] = [];
    if (Object.keys(terms.limits).length > 0)
      scopes.push({ kind: 'tenant', id: tenant.id, spec: terms.limits });
    if (tenant.keyId && Object.keys(terms.keyLimits).length > 0)
      scopes.push({ kind: 'key', id: tenant.keyId, spec: terms.keyLimits });
    let headers: Record<string, string> = {};
    const holdsSlot = scopes.some((s) => s.spec.concurrentTasks !== undefined);
    if (scopes.length > 0) {
      const verdict = await this.tenancy.limiter.admit({
        scopes,
        tokens: this.estimateTokens(task, request, route),
        leaseId: jobId,
        leaseMs: task.envelope.hardTimeoutMs + LEASE_GRACE_MS,
      });
      headers = rateLimitHeaders(verdict);
      if (!verdict.ok) {
        const name = `${verdict.scope}-${verdict.limit}`;
        throw ProblemError.of(
          'rate-limited',
          verdict.exceedsQuota
            ? `The request alone is over the ${name} limit; it can never pass.`
            : `The ${verdict.scope}’s ${verdict.limit} limit is reached; retry after ${verdict.retryAfterS} s.`,
          { rateLimit: name },
          { headers },
        );
      }
    }
    return {
      tenancy: {
        ...(tenant.keyId ? { keyId: tenant.keyId } : {}),
        planId: terms.planId,
        ...(route ? { route: [...route] } : {}),
        ...(limitMicros !== undefined
          ? { budget: { limitMicros, overBudget: terms.overBudget } }
          : {}),
        ...(holdsSlot ? { holdsSlot: true } : {}),
        priority: terms.priority,
        ...(routing ? { routing } : {}),
      },
      headers,
      holdsSlot,
    };
  }

  /**
   * The terms of a batch's items (`POST /v1/batches`): the task must be in the plan and a plan
   * that rejects past its budget must have budget left. Request, token and concurrency limits do
   * not apply per item: the batch bounds its own concurrency (at most the plan's
   * `concurrentTasks`, `maxConcurrency`); budgets apply per model call.
   */
  async batchTerms(args: {
    tenant: Tenant;
    task: AnyTaskDefinition;
    now: number;
  }): Promise<{ tenancy?: JobTenancy; maxConcurrency?: number }> {
    const { tenant } = args;
    const terms = tenant.terms;
    if (!terms) return {};
    const { route, routing, limitMicros } = await this.audited(tenant, args.task, args.now, () =>
      this.planTerms(tenant.id, terms, args.task, args.now),
    );
    const tenancy: JobTenancy = {
      ...(tenant.keyId ? { keyId: tenant.keyId } : {}),
      planId: terms.planId,
      ...(route ? { route: [...route] } : {}),
      ...(limitMicros !== undefined
        ? { budget: { limitMicros, overBudget: terms.overBudget } }
        : {}),
      priority: terms.priority,
      ...(routing ? { routing } : {}),
    };
    const max = terms.limits.concurrentTasks;
    return { tenancy, ...(max !== undefined ? { maxConcurrency: max } : {}) };
  }

  /**
   * The plan's refusals (a task not in the plan, a spent budget) go into the tenant's audit
   * trail: the first of each minute per key, task and reason, so a caller retrying in a loop
   * cannot grow the trail. Rate limits are not audited (they are counted in the metrics).
   */
  private async audited<T>(
    tenant: Tenant,
    task: AnyTaskDefinition,
    now: number,
    decide: () => Promise<T>,
  ): Promise<T> {
    try {
      return await decide();
    } catch (err) {
      if (err instanceof ProblemError && AUDITED_REFUSALS.has(err.slug)) {
        const minute = Math.floor(now / 60_000);
        await this.tenancy.store.audit.append(
          {
            key: `refused:${tenant.id}:${tenant.keyId ?? ''}:${err.slug}:${task.name}:${minute}`,
            tenantId: tenant.id,
            actor: keyActor(tenant.keyId),
            action: 'request.refused',
            detail: { task: task.name, problem: err.slug, plan: tenant.terms?.planId ?? null },
          },
          now,
        );
      }
      throw err;
    }
  }

  /** The plan's route, routing and budget for a task; 403 / 402 when the plan refuses it. */
  private async planTerms(
    tenantId: string,
    terms: NonNullable<Tenant['terms']>,
    task: AnyTaskDefinition,
    now: number,
  ) {
    if (terms.tasks && !terms.tasks.includes(task.name)) {
      throw ProblemError.of(
        'task-not-in-plan',
        `The ${terms.planId} plan does not include ${task.name}.`,
        { plan: terms.planId },
      );
    }
    const route = terms.routes[task.name];
    const routing = terms.routing?.tasks?.[task.name] ?? terms.routing?.default;
    const limitMicros =
      terms.monthlyBudgetUsd === null ? undefined : toMicros(terms.monthlyBudgetUsd);
    if (limitMicros !== undefined && terms.overBudget === 'reject') {
      const period = monthPeriod(now);
      const state = await this.tenancy.store.budgetState(tenantId, period);
      if (state.spentMicros + state.reservedMicros >= limitMicros) {
        throw ProblemError.of(
          'budget-exceeded',
          `The month’s budget of $${fromMicros(limitMicros)} is spent.`,
          {
            plan: terms.planId,
            budget: {
              period,
              limitUsd: fromMicros(limitMicros),
              spentUsd: fromMicros(state.spentMicros),
              reservedUsd: fromMicros(state.reservedMicros),
            },
          },
        );
      }
    }
    return { route, routing, limitMicros };
  }

  /**
   * A rate-limited request of a plan that says `whenLimited: degrade`: the pass of a job that calls
   * no model (no limit, budget or slot is taken; the task's downgrades answer). Else none.
   */
  degradedPass(tenant: Tenant, err: unknown): GatePass | undefined {
    const terms = tenant.terms;
    if (terms?.whenLimited !== 'degrade') return undefined;
    if (!(err instanceof ProblemError) || err.slug !== 'rate-limited') return undefined;
    return {
      tenancy: {
        ...(tenant.keyId ? { keyId: tenant.keyId } : {}),
        planId: terms.planId,
        priority: terms.priority,
        limited: typeof err.extras.rateLimit === 'string' ? err.extras.rateLimit : 'rate',
      },
      headers: { ...err.headers, 'x-keel-limited': 'degrade' },
      holdsSlot: false,
    };
  }

  /** The job ended where this process saw it (a sync answer, a failed start): free its slot. */
  async release(jobId: string): Promise<void> {
    await this.tenancy.limiter.release(jobId);
  }

  /**
   * Tokens reserved for the job: its prompt as the o200k tokenizer counts it plus the most the
   * first candidate of its route may answer. Settled with the vendors' counts after each call.
   */
  private estimateTokens(
    task: AnyTaskDefinition,
    request: RunTaskRequest,
    route: readonly string[] | undefined,
  ): number {
    const first = (request.options.route ?? route ?? task.route)[0] ?? '';
    const at = first.indexOf(':');
    const model = findModel(this.config.models, first.slice(0, at), first.slice(at + 1));
    return (
      promptTokens(task, request.input) +
      callOutputCap(task, model?.capabilities.maxOutputTokens ?? 4_096)
    );
  }
}
