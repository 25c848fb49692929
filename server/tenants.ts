import { createHash, timingSafeEqual } from 'node:crypto';

export const Role = { caller: 'caller', reviewer: 'reviewer', admin: 'admin' } as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface Tenant {
  id: string;
  roles: readonly Role[];
}

interface TenantKey {
  tenant: Tenant;
  keyHash: Buffer;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** API key → tenant. Keys are kept only as hashes and compared in constant time. */
export class TenantDirectory {
  private readonly keys: TenantKey[];

  constructor(entries: Array<{ apiKey: string; tenant: Tenant }>) {
    this.keys = entries.map((e) => ({ tenant: e.tenant, keyHash: sha256(e.apiKey) }));
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

export const DEMO_TENANT: Tenant = { id: 'demo', roles: [Role.caller, Role.reviewer, Role.admin] };
