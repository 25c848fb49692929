import { createHash, timingSafeEqual } from 'node:crypto';

export const Role = { caller: 'caller', reviewer: 'reviewer', admin: 'admin' } as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface Tenant {
  id: string;
  roles: readonly Role[];
  /** The key's name: who acted (a reviewer's identity in the audit). */
  keyName: string;
}

interface TenantKey {
  tenant: Tenant;
  keyHash: Buffer;
}

/** A key from the config file: only its SHA-256 digest is known. */
export interface HashedKey {
  sha256: string;
  tenant: Tenant;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** API key → tenant. Keys are kept only as hashes and compared in constant time. */
export class TenantDirectory {
  private readonly keys: TenantKey[];

  constructor(entries: Array<{ apiKey: string; tenant: Tenant }>, hashed: HashedKey[] = []) {
    this.keys = [
      ...entries.map((e) => ({ tenant: e.tenant, keyHash: sha256(e.apiKey) })),
      ...hashed.map((h) => ({ tenant: h.tenant, keyHash: Buffer.from(h.sha256, 'hex') })),
    ];
  }

  /** The config file's tenants, plus the demo tenant when it has a key (KEEL_DEMO_TENANT). */
  static fromConfig(
    demoKey: string | undefined,
    tenants: ReadonlyArray<{
      id: string;
      keys: ReadonlyArray<{ name: string; sha256: string; roles: readonly Role[] }>;
    }>,
  ): TenantDirectory {
    return new TenantDirectory(
      demoKey ? [{ apiKey: demoKey, tenant: DEMO_TENANT }] : [],
      tenants.flatMap((t) =>
        t.keys.map((k) => ({
          sha256: k.sha256,
          tenant: { id: t.id, roles: k.roles, keyName: k.name },
        })),
      ),
    );
  }

  /** How many keys are known. */
  get size(): number {
    return this.keys.length;
  }

  authenticate(apiKey: string): Tenant | undefined {
    const hash = sha256(apiKey);
    let found: Tenant | undefined;
    for (const entry of this.keys) {
      if (timingSafeEqual(entry.keyHash, hash)) found = entry.tenant;
    }
    return found;
  }
}

export const DEMO_TENANT: Tenant = {
  id: 'demo',
  roles: [Role.caller, Role.reviewer, Role.admin],
  keyName: 'demo',
};
