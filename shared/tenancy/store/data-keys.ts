import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PayloadKey } from '../../platform/payload-codec';
import { openSecret, sealSecret } from '../../platform/sealed-secret';
import { tenantKeyRef, type DataKeySource, type TenantDataKey } from '../../platform/tenant-keys';
import type { StoreSchema } from './schema';

const KEY_BYTES = 32;

/**
 * Each tenant's data keys (docs/encryption.md#per-tenant-data-keys): random AES-256 keys, one row
 * per tenant and version, stored sealed under the deployment's payload keys (envelope
 * encryption, shared/platform/sealed-secret.ts) — a dump of the store holds no usable data key
 * without the key file. The first use of a tenant creates its version 1; `rotate` adds the next
 * version, which encrypts from then on while the older ones still decrypt. Erasure deletes the
 * rows (erasure.ts): that is the crypto-shredding, every copy of the tenant's payloads anywhere
 * becomes unreadable.
 */
export class DataKeyStore implements DataKeySource {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    /** The deployment's payload keys: the data keys are sealed with them. */
    private readonly keys: readonly PayloadKey[],
  ) {}

  /** The tenant's newest key, created (version 1) on first use by a tenant that exists. */
  async current(tenantId: string, now = Date.now()): Promise<TenantDataKey> {
    const latest = await this.latestRow(tenantId);
    if (latest) return this.open(tenantId, latest.version, latest.sealed);
    const exists = await this.db
      .selectFrom('tenants')
      .select('id')
      .where('id', '=', tenantId)
      .executeTakeFirst();
    // An erased tenant has no row: a key made now would reuse the shredded key's reference.
    if (!exists) throw new UnknownTenantKeyError(tenantId);
    return this.insert(tenantId, 1, now);
  }

  /** A new version that encrypts from now on (the older ones keep decrypting). */
  async rotate(tenantId: string, now = Date.now()): Promise<TenantDataKey> {
    const latest = await this.latestRow(tenantId);
    if (!latest) return this.current(tenantId, now);
    return this.insert(tenantId, latest.version + 1, now);
  }

  /** One version of the tenant's key; undefined once shredded (or never made). */
  async get(tenantId: string, version: number): Promise<TenantDataKey | undefined> {
    const row = await this.db
      .selectFrom('tenant_data_keys')
      .select(['version', 'sealed'])
      .where('tenant_id', '=', tenantId)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? this.open(tenantId, row.version, row.sealed) : undefined;
  }

  /** Versions the tenant has (what erasure will shred). */
  async versions(tenantId: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom('tenant_data_keys')
      .select('version')
      .where('tenant_id', '=', tenantId)
      .orderBy('version')
      .execute();
    return rows.map((r) => r.version);
  }

  private latestRow(tenantId: string) {
    return this.db
      .selectFrom('tenant_data_keys')
      .select(['version', 'sealed'])
      .where('tenant_id', '=', tenantId)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Inserts `version`; when another process made it first, that one is the key. */
  private async insert(tenantId: string, version: number, now: number): Promise<TenantDataKey> {
    const key = randomBytes(KEY_BYTES);
    const sealed = sealSecret(this.keys, purpose(tenantId, version), key.toString('base64'));
    await this.db
      .insertInto('tenant_data_keys')
      .values({ tenant_id: tenantId, version, sealed, created_at: now })
      .onConflict((oc) => oc.columns(['tenant_id', 'version']).doNothing())
      .execute();
    const stored = await this.get(tenantId, version);
    if (!stored) throw new UnknownTenantKeyError(tenantId);
    return stored;
  }

  private open(tenantId: string, version: number, sealed: string): TenantDataKey {
    const key = Buffer.from(openSecret(this.keys, purpose(tenantId, version), sealed), 'base64');
    return { tenantId, version, key };
  }
}

/** The sealed value names its key reference: a row copied to another tenant does not open. */
const purpose = (tenantId: string, version: number): string =>
  `data key ${tenantKeyRef(tenantId, version)}`;

/** A tenant that has no data key and no longer exists (erased): nothing may encrypt for it. */
export class UnknownTenantKeyError extends Error {
  override readonly name = 'UnknownTenantKeyError';
  constructor(readonly tenantId: string) {
    super(
      `tenant "${tenantId}" is not in the tenant store (erased?): no data key is made for it, so nothing is encrypted for it`,
    );
  }
}
