import type { TenantStore } from './store';
import { hashKey } from './keys';
import { PlanDefinition, TenantOverrides, tenantTerms, type TenantTerms } from './plans';

export const Role = {
  caller: 'caller',
  reviewer: 'reviewer',
  admin: 'admin',
  /** The platform operator: above tenants (every tenant, plans, all usage). */
  operator: 'operator',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface Tenant {
  id: string;
  roles: readonly Role[];
  /** The key's name: who acted (a reviewer's identity in the audit). */
  keyName: string;
  /** The key's id (the usage ledger's `key`). */
  keyId?: string;
  /** The tenant's plan with its overrides. */
  terms?: TenantTerms;
}

/** Why a key that exists does not authenticate. */
export type Refusal = 'revoked' | 'expired' | 'suspended';

export type Authentication = { ok: true; tenant: Tenant } | { ok: false; refusal?: Refusal };

interface Cached {
  at: number;
  value: Authentication;
}

export interface TenantDirectoryOptions {
  /**
   * How long an answer is reused before the store is asked again: a revoked key, a suspended
   * tenant or a changed plan takes effect on every API process within this. @default 1000
   */
  cacheMs?: number;
  /** Most keys remembered (unknown keys included, so a flood of bad keys stays cheap). */
  maxEntries?: number;
  now?: () => number;
}

/**
 * API key → tenant, from the tenant store: the key's SHA-256 is looked up by its unique index
 * (one query, whatever the number of keys). Answers are cached for `cacheMs`, so every replica
 * sees a revocation within that.
 */
export class TenantDirectory {
  private readonly cache = new Map<string, Cached>();
  private readonly plans = new Map<string, { at: number; plan: PlanDefinition | undefined }>();
  private readonly cacheMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    readonly store: TenantStore,
    options: TenantDirectoryOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 1_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  async authenticate(apiKey: string): Promise<Authentication> {
    const hash = hashKey(apiKey);
    const now = this.now();
    const hit = this.cache.get(hash);
    if (hit && now - hit.at < this.cacheMs) return hit.value;
    const value = await this.lookup(hash, now);
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(hash, { at: now, value });
    return value;
  }

  /**
   * A tenant by its id, for callers that come with no key (a Nexus endpoint configured for the
   * tenant): `caller` role, its terms; refused while suspended. Cached like keys.
   */
  async byId(tenantId: string, keyName: string): Promise<Authentication> {
    const cacheKey = `tenant:${tenantId}:${keyName}`;
    const now = this.now();
    const hit = this.cache.get(cacheKey);
    if (hit && now - hit.at < this.cacheMs) return hit.value;
    const record = await this.store.getTenant(tenantId);
    let value: Authentication = { ok: false };
    if (record?.status === 'suspended') value = { ok: false, refusal: 'suspended' };
    else if (record) {
      const terms = await this.termsOf(record.planId, record.overrides);
      value = {
        ok: true,
        tenant: { id: record.id, roles: [Role.caller], keyName, ...(terms ? { terms } : {}) },
      };
    }
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(cacheKey, { at: now, value });
    return value;
  }

  /** The plan of this id (cached like keys). */
  async plan(id: string): Promise<PlanDefinition | undefined> {
    const now = this.now();
    const hit = this.plans.get(id);
    if (hit && now - hit.at < this.cacheMs) return hit.plan;
    const record = await this.store.getPlan(id);
    const parsed = record ? PlanDefinition.safeParse(record.definition) : undefined;
    const plan = parsed?.success ? parsed.data : undefined;
    this.plans.set(id, { at: now, plan });
    return plan;
  }

  /** Forget cached answers (this process changed a key, a tenant or a plan). */
  invalidate(): void {
    this.cache.clear();
    this.plans.clear();
  }

  /** A tenant's terms: its plan with its overrides (an unknown plan gives no terms). */
  async termsOf(planId: string, overrides: unknown): Promise<TenantTerms | undefined> {
    const plan = await this.plan(planId);
    if (!plan) return undefined;
    const parsed = TenantOverrides.safeParse(overrides ?? {});
    return tenantTerms(plan, parsed.success ? parsed.data : {});
  }

  private async lookup(hash: string, now: number): Promise<Authentication> {
    const found = await this.store.findKeyByHash(hash);
    if (!found) return { ok: false };
    const { key, tenant } = found;
    if (key.revokedAt !== null && key.revokedAt <= now) return { ok: false, refusal: 'revoked' };
    if (key.expiresAt !== null && key.expiresAt <= now) return { ok: false, refusal: 'expired' };
    if (tenant.status === 'suspended') return { ok: false, refusal: 'suspended' };
    const terms = await this.termsOf(tenant.planId, tenant.overrides);
    return {
      ok: true,
      tenant: {
        id: tenant.id,
        roles: key.roles,
        keyName: key.name,
        keyId: key.id,
        ...(terms ? { terms } : {}),
      },
    };
  }
}
