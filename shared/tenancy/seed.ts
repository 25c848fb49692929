import type { KeelFileConfig } from '../platform/config-file';
import { hashKey } from './keys';
import { DEFAULT_PLAN, SHIPPED_PLANS } from './plans';
import type { Role, TenantStore } from './store';

export const DEMO_TENANT_ID = 'demo';

/**
 * What every start puts in the tenant store, without undoing what admins changed: the shipped
 * plans when missing, the config file's tenants and keys (by the keys' digests), and the demo
 * tenant with its key (every role, the platform operator's included) when the demo is on.
 */
export async function seedTenantStore(
  store: TenantStore,
  args: { tenants: KeelFileConfig['tenants']; demoKey?: string; now: number },
): Promise<void> {
  for (const plan of SHIPPED_PLANS) {
    if (!(await store.getPlan(plan.id))) {
      await store.upsertPlan({ id: plan.id, definition: plan, updatedAt: args.now });
    }
  }
  const seeded: Array<{
    id: string;
    plan?: string;
    keys: Array<{ name: string; sha256: string; roles: Role[]; env: 'live' | 'test' }>;
  }> = args.tenants.map((t) => ({
    id: t.id,
    plan: t.plan,
    keys: t.keys.map((k) => ({ ...k, roles: [...k.roles], env: 'live' as const })),
  }));
  if (args.demoKey) {
    seeded.push({
      id: DEMO_TENANT_ID,
      keys: [
        {
          name: 'demo',
          sha256: hashKey(args.demoKey),
          roles: ['caller', 'reviewer', 'admin', 'operator'],
          env: 'test',
        },
      ],
    });
  }
  for (const tenant of seeded) {
    await store.upsertTenant(
      {
        id: tenant.id,
        name: tenant.id,
        planId: tenant.plan ?? DEFAULT_PLAN,
        status: 'active',
        overrides: {},
      },
      args.now,
    );
    for (const key of tenant.keys) {
      await store.seedKey({
        id: `key_seed_${key.sha256.slice(0, 16)}`,
        tenantId: tenant.id,
        name: key.name,
        prefix: '(seeded)',
        hash: key.sha256,
        roles: key.roles,
        env: key.env,
        createdAt: args.now,
        expiresAt: null,
        revokedAt: null,
      });
    }
  }
}
