import { createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Per-tenant data keys, as the payload codec uses them (docs/encryption.md#per-tenant-data-keys):
 * the key reference written into a payload (`tenant:<tenant id>:<version>`), and a keyring that
 * keeps each key in memory, so encoding a tenant's payload costs no store round trip once its key
 * is known. Where the keys live (the tenant store, sealed under the deployment's payload keys) is
 * behind `DataKeySource`.
 */
export const TENANT_KEY_PREFIX = 'tenant:';

/** `tenant:<tenant id>:<version>`, what a payload's `encryption-key-id` holds. */
export const tenantKeyRef = (tenantId: string, version: number): string =>
  `${TENANT_KEY_PREFIX}${tenantId}:${version}`;

/** The tenant and version a key reference names; undefined for a deployment key id. */
export function parseTenantKeyRef(ref: string): { tenantId: string; version: number } | undefined {
  if (!ref.startsWith(TENANT_KEY_PREFIX)) return undefined;
  const colon = ref.lastIndexOf(':');
  const tenantId = ref.slice(TENANT_KEY_PREFIX.length, colon);
  const version = Number(ref.slice(colon + 1));
  if (!tenantId || !Number.isSafeInteger(version) || version < 1) return undefined;
  return { tenantId, version };
}

/** One version of a tenant's data key, in clear (in memory only). */
export interface TenantDataKey {
  tenantId: string;
  version: number;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

/** Where the data keys are kept (the tenant store: shared/tenancy/store/data-keys.ts). */
export interface DataKeySource {
  /** The newest version, created on the tenant's first use. */
  current(tenantId: string): Promise<TenantDataKey>;
  /** One version; undefined when shredded (the tenant was erased) or never made. */
  get(tenantId: string, version: number): Promise<TenantDataKey | undefined>;
}

/** A key ready for the cipher: its reference (metadata and authenticated data) and the key. */
export interface LoadedTenantKey {
  ref: string;
  refBytes: Uint8Array;
  key: KeyObject;
}

interface Cached {
  value: LoadedTenantKey | undefined;
  at: number;
}

const encoder = new TextEncoder();

/**
 * The data keys this process has used, by tenant (the one that encrypts) and by reference (any
 * that decrypts), each read again after `cacheMs` — so a process stops using a shredded key within
 * that time, and picks up a rotation made elsewhere. Concurrent misses share one store read.
 */
export class TenantKeyring {
  private readonly currentByTenant = new Map<string, Cached>();
  private readonly byRef = new Map<string, Cached>();
  private readonly loading = new Map<string, Promise<LoadedTenantKey | undefined>>();

  constructor(
    private readonly source: () => Promise<DataKeySource>,
    /** How long a key is used before the store is asked again. 0: every use asks. */
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The tenant's encrypting key if this process holds it fresh (the hot path: no await). */
  cachedCurrent(tenantId: string): LoadedTenantKey | undefined {
    return this.fresh(this.currentByTenant.get(tenantId));
  }

  async current(tenantId: string): Promise<LoadedTenantKey> {
    const hit = this.cachedCurrent(tenantId);
    if (hit) return hit;
    const loaded = await this.once(`current:${tenantId}`, async () => {
      const k = load(await (await this.source()).current(tenantId));
      const at = this.now();
      this.currentByTenant.set(tenantId, { value: k, at });
      this.byRef.set(k.ref, { value: k, at });
      return k;
    });
    return loaded!;
  }

  /** The key a reference names, if this process holds it fresh (`null`: known to be gone). */
  cachedRef(ref: string): LoadedTenantKey | null | undefined {
    const entry = this.byRef.get(ref);
    if (!entry || this.now() - entry.at >= this.cacheMs) return undefined;
    return entry.value ?? null;
  }

  /** The key a reference names; undefined when the store no longer has it (shredded). */
  byReference(ref: string): Promise<LoadedTenantKey | undefined> {
    const cached = this.cachedRef(ref);
    if (cached !== undefined) return Promise.resolve(cached ?? undefined);
    const parsed = parseTenantKeyRef(ref);
    if (!parsed) return Promise.resolve(undefined);
    return this.once(`ref:${ref}`, async () => {
      const k = await (await this.source()).get(parsed.tenantId, parsed.version);
      const value = k ? load(k) : undefined;
      this.byRef.set(ref, { value, at: this.now() });
      return value;
    });
  }

  /** Drops what this process holds of the tenant's keys (after its erasure). */
  forget(tenantId: string): void {
    this.currentByTenant.delete(tenantId);
    for (const ref of this.byRef.keys())
      if (parseTenantKeyRef(ref)?.tenantId === tenantId) this.byRef.delete(ref);
  }

  private fresh(entry: Cached | undefined): LoadedTenantKey | undefined {
    return entry && this.now() - entry.at < this.cacheMs ? entry.value : undefined;
  }

  private once(
    id: string,
    work: () => Promise<LoadedTenantKey | undefined>,
  ): Promise<LoadedTenantKey | undefined> {
    const pending = this.loading.get(id);
    if (pending) return pending;
    const p = work().finally(() => this.loading.delete(id));
    this.loading.set(id, p);
    return p;
  }
}

function load(k: TenantDataKey): LoadedTenantKey {
  const ref = tenantKeyRef(k.tenantId, k.version);
  return { ref, refBytes: encoder.encode(ref), key: createSecretKey(k.key) };
}
