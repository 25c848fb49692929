import { Inject, Injectable } from '@nestjs/common';
import {
  CreateKeyBody,
  CreateTenantBody,
  RotateKeyBody,
  UpdateTenantBody,
  UsageQuery,
  type KeyBody,
  type TenantBody,
  type UsageBody,
} from '../shared/contracts/admin';
import { generateKey } from '../shared/tenancy/keys';
import { fromMicros, PlanDefinition, TenantOverrides } from '../shared/tenancy/plans';
import {
  DuplicateError,
  PLATFORM_AUDIT_TENANT,
  totalUsage,
  type ApiKeyRecord,
  type TenantRecord,
  type UsageRow,
} from '../shared/tenancy/store';
import type { Tenancy } from '../shared/tenancy/open';
import { AuditService } from './audit.service';
import { isOperator, scopedTenant } from './tenant-scope';
import { invalidRequest, parse, ProblemError } from './problem';
import { Role, type Tenant, type TenantDirectory } from '../shared/tenancy/directory';
import { TENANCY, TENANTS } from './tokens';

/** Most tenants on one page of `GET /v1/admin/tenants`. */
export const MAX_TENANTS_PER_PAGE = 500;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The admin API's rules. A platform operator (role `operator`) sees and changes every tenant and
 * the plans; a tenant admin sees only its own tenant, changes its name and policy overrides and
 * its keys, never its plan, limits, budget or status. Another tenant is not found, never
 * forbidden, so ids do not leak.
 */
@Injectable()
export class AdminService {
  constructor(
    @Inject(TENANCY) private readonly tenancy: Tenancy,
    @Inject(TENANTS) private readonly directory: TenantDirectory,
    @Inject(AuditService) private readonly trail: AuditService,
  ) {}

  private get store(): Tenancy['store'] {
    return this.tenancy.store;
  }

  async createTenant(actor: Tenant, body: unknown, now: number): Promise<TenantBody> {
    this.requireOperator(actor);
    const b = parse(CreateTenantBody, body, 'body');
    await this.requirePlan(b.plan, 'plan');
    try {
      const created = await this.store.createTenant(
        {
          id: b.id,
          name: b.name ?? b.id,
          planId: b.plan,
          status: 'active',
          overrides: b.overrides ?? {},
        },
        now,
      );
      await this.trail.record(actor, created.id, 'tenant.created', { plan: created.planId }, now);
      return tenantBody(created);
    } catch (err) {
      if (err instanceof DuplicateError) {
        throw ProblemError.of('tenant-exists', `A tenant "${b.id}" exists already.`, {
          errors: [{ field: 'id', message: 'already exists' }],
        });
      }
      throw err;
    }
  }

  async listTenants(
    actor: Tenant,
    query: { limit?: string; after?: string },
  ): Promise<{ items: TenantBody[]; next?: string }> {
    if (!isOperator(actor)) {
      const own = await this.store.getTenant(actor.id);
      return { items: own ? [tenantBody(own)] : [] };
    }
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TENANTS_PER_PAGE) {
      throw invalidRequest('Invalid query parameters.', [
        { field: 'query.limit', message: `an integer from 1 to ${MAX_TENANTS_PER_PAGE}` },
      ]);
    }
    const rows = await this.store.listTenants({
      limit: limit + 1,
      ...(query.after ? { after: query.after } : {}),
    });
    const items = rows.slice(0, limit).map(tenantBody);
    return rows.length > limit ? { items, next: items.at(-1)!.id } : { items };
  }

  async getTenant(actor: Tenant, id: string): Promise<TenantBody> {
    return tenantBody(await this.visibleTenant(actor, id));
  }

  async updateTenant(actor: Tenant, id: string, body: unknown, now: number): Promise<TenantBody> {
    const tenant = await this.visibleTenant(actor, id);
    const b = parse(UpdateTenantBody, body, 'body');
    if (!isOperator(actor)) {
      // A tenant admin may rename its tenant, change its moderation policy and opt in to debug
      // samples of its own data, nothing it pays for.
      const forbidden = [
        ...(['plan', 'status'] as const).filter((f) => b[f] !== undefined),
        ...Object.keys(b.overrides ?? {})
          .filter((k) => k !== 'policy' && k !== 'debugSamples')
          .map((k) => `overrides.${k}`),
      ];
      if (forbidden.length > 0) {
        throw ProblemError.of('forbidden', 'Only the platform operator changes these fields.', {
          errors: forbidden.map((field) => ({ field, message: 'operator only' })),
        });
      }
    }
    if (b.plan !== undefined) await this.requirePlan(b.plan, 'plan');
    const updated = await this.store.updateTenant(
      tenant.id,
      {
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.plan !== undefined ? { planId: b.plan } : {}),
        ...(b.status !== undefined ? { status: b.status } : {}),
        ...(b.overrides !== undefined
          ? { overrides: { ...TenantOverrides.parse(tenant.overrides), ...b.overrides } }
          : {}),
      },
      now,
    );
    this.directory.invalidate();
    // Samples taken so far keep the new period too (docs/debug-samples.md#retention).
    const samples = b.overrides?.debugSamples;
    if (samples) await this.store.debugSamples.redate(tenant.id, samples.retentionDays);
    await this.trail.record(
      actor,
      tenant.id,
      'tenant.updated',
      {
        fields: Object.keys(b).sort(),
        ...(b.overrides !== undefined ? { overrides: Object.keys(b.overrides).sort() } : {}),
        ...(b.plan !== undefined ? { plan: b.plan } : {}),
        ...(b.status !== undefined ? { status: b.status } : {}),
      },
      now,
    );
    return tenantBody(updated ?? tenant);
  }

  async createKey(
    actor: Tenant,
    tenantId: string,
    body: unknown,
    now: number,
  ): Promise<KeyBody & { key: string }> {
    const tenant = await this.visibleTenant(actor, tenantId);
    const b = parse(CreateKeyBody, body, 'body');
    if (b.roles.includes(Role.operator) && !isOperator(actor)) {
      throw ProblemError.of('forbidden', 'Only the platform operator grants the operator role.', {
        errors: [{ field: 'roles', message: 'operator only' }],
      });
    }
    const made = generateKey(b.env);
    const record: ApiKeyRecord = {
      id: made.id,
      tenantId: tenant.id,
      name: b.name,
      prefix: made.prefix,
      hash: made.hash,
      roles: [...new Set(b.roles)],
      env: b.env,
      createdAt: now,
      expiresAt: null,
      revokedAt: null,
    };
    await this.store.insertKey(record);
    await this.trail.record(
      actor,
      tenant.id,
      'key.created',
      { keyId: record.id, roles: record.roles, env: record.env },
      now,
    );
    return { ...keyBody(record), key: made.key };
  }

  async listKeys(actor: Tenant, tenantId: string): Promise<{ items: KeyBody[] }> {
    const tenant = await this.visibleTenant(actor, tenantId);
    return { items: (await this.store.listKeys(tenant.id)).map(keyBody) };
  }

  /** A successor with the same name and roles; the old key works until the overlap ends. */
  async rotateKey(
    actor: Tenant,
    tenantId: string,
    keyId: string,
    body: unknown,
    now: number,
  ): Promise<KeyBody & { key: string; replaces: KeyBody }> {
    const tenant = await this.visibleTenant(actor, tenantId);
    const b = parse(RotateKeyBody, body, 'body');
    const old = await this.liveKey(tenant.id, keyId, now);
    const created = await this.createKey(
      actor,
      tenant.id,
      { name: old.name, roles: old.roles, env: old.env },
      now,
    );
    const expiring = await this.store.expireKey(tenant.id, keyId, now + b.overlapSeconds * 1000);
    this.directory.invalidate();
    await this.trail.record(
      actor,
      tenant.id,
      'key.rotated',
      { keyId, successor: created.id, overlapSeconds: b.overlapSeconds },
      now,
    );
    return { ...created, replaces: keyBody(expiring ?? old) };
  }

  async revokeKey(actor: Tenant, tenantId: string, keyId: string, now: number): Promise<KeyBody> {
    const tenant = await this.visibleTenant(actor, tenantId);
    await this.liveKey(tenant.id, keyId, now);
    const revoked = await this.store.revokeKey(tenant.id, keyId, now);
    this.directory.invalidate();
    await this.trail.record(actor, tenant.id, 'key.revoked', { keyId }, now);
    return keyBody(revoked!);
  }

  async listPlans(): Promise<{ items: PlanDefinition[] }> {
    const plans = await this.store.listPlans();
    return {
      items: plans.flatMap((p) => {
        const parsed = PlanDefinition.safeParse(p.definition);
        return parsed.success ? [parsed.data] : [];
      }),
    };
  }

  async putPlan(actor: Tenant, id: string, body: unknown, now: number): Promise<PlanDefinition> {
    this.requireOperator(actor);
    const sent = (body as { id?: unknown } | null)?.id;
    if (sent !== undefined && sent !== id) {
      throw invalidRequest(`The body's id is not the path's "${id}".`, [
        { field: 'id', message: 'must be the id in the path (or left out)' },
      ]);
    }
    const plan = parse(PlanDefinition, { ...(body as object), id }, 'body');
    await this.store.upsertPlan({ id, definition: plan, updatedAt: now });
    this.directory.invalidate();
    await this.trail.record(actor, PLATFORM_AUDIT_TENANT, 'plan.updated', { plan: id }, now);
    return plan;
  }

  async usage(actor: Tenant, query: unknown, now: number): Promise<UsageBody> {
    const q = parse(UsageQuery, query, 'query');
    const from = q.from ?? Date.parse(`${new Date(now).toISOString().slice(0, 7)}-01T00:00:00Z`);
    const to = q.to ?? now;
    const errors = [
      ...(to <= from ? [{ field: 'query.to', message: 'must be after from' }] : []),
      ...(to - from > 366 * 24 * 3600 * 1000
        ? [{ field: 'query.from', message: 'at most 366 days before to' }]
        : []),
    ];
    if (errors.length) throw invalidRequest('Invalid query parameters.', errors);
    const tenantId = scopedTenant(actor, q.tenant);
    if (!isOperator(actor) && q.groupBy.includes('tenant'))
      throw ProblemError.of('forbidden', 'Only the platform operator groups by tenant.', {
        errors: [{ field: 'query.groupBy', message: 'operator only' }],
      });
    const rows = await this.store.usage({
      ...(tenantId ? { tenantId } : {}),
      from,
      to,
      groupBy: q.groupBy,
    });
    const total = totalUsage(rows);
    const { group: _none, ...totals } = figures(total);
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      groupBy: q.groupBy,
      rows: rows.map(figures),
      totals,
    };
  }

  private requireOperator(actor: Tenant): void {
    if (!isOperator(actor))
      throw ProblemError.of('forbidden', 'This route needs the operator role.');
  }

  private async requirePlan(id: string, field: string): Promise<void> {
    if (!(await this.store.getPlan(id))) {
      throw invalidRequest(`There is no plan "${id}".`, [{ field, message: 'unknown plan' }]);
    }
  }

  /** The tenant, if this key may see it; another tenant is not found. */
  private async visibleTenant(actor: Tenant, id: string): Promise<TenantRecord> {
    const tenant =
      isOperator(actor) || actor.id === id ? await this.store.getTenant(id) : undefined;
    if (!tenant) throw ProblemError.of('tenant-not-found', `No tenant "${id}".`);
    return tenant;
  }

  private async liveKey(tenantId: string, keyId: string, now: number): Promise<ApiKeyRecord> {
    const key = await this.store.getKey(tenantId, keyId);
    if (!key) throw ProblemError.of('key-not-found', `No key "${keyId}" in tenant "${tenantId}".`);
    if (key.revokedAt !== null && key.revokedAt <= now)
      throw ProblemError.of('key-not-found', `The key "${keyId}" is revoked.`);
    return key;
  }
}

function tenantBody(t: TenantRecord): TenantBody {
  const overrides = TenantOverrides.safeParse(t.overrides);
  return {
    id: t.id,
    name: t.name,
    plan: t.planId,
    status: t.status,
    overrides: overrides.success ? overrides.data : {},
    createdAt: iso(t.createdAt)!,
    updatedAt: iso(t.updatedAt)!,
  };
}

function keyBody(k: ApiKeyRecord): KeyBody {
  return {
    id: k.id,
    tenantId: k.tenantId,
    name: k.name,
    prefix: k.prefix,
    roles: k.roles,
    env: k.env,
    createdAt: iso(k.createdAt)!,
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
  };
}

function figures(r: UsageRow): UsageBody['rows'][number] {
  return {
    group: Object.fromEntries(Object.entries(r.group).filter(([, v]) => v !== undefined)),
    calls: r.calls,
    failedCalls: r.failedCalls,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    costUsd: fromMicros(r.costMicros),
    interruptedCalls: r.interruptedCalls,
    estimatedCostUsd: fromMicros(r.estimatedCostMicros),
    jobs: r.jobs,
    validAnswers: r.validAnswers,
    costPerSuccessUsd: r.validAnswers > 0 ? fromMicros(r.costMicros) / r.validAnswers : null,
  };
}
