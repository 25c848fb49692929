import { Inject, Injectable } from '@nestjs/common';
import type { DataKeyRotationBody } from '../shared/contracts/admin';
import type { KeelConfig } from '../shared/platform/config';
import { tenantKeyRef } from '../shared/platform/tenant-keys';
import type { Tenant } from '../shared/tenancy/directory';
import type { Tenancy } from '../shared/tenancy/open';
import { AuditService } from './audit.service';
import { ProblemError } from './problem';
import { isOperator } from './tenant-scope';
import { CONFIG, TENANCY } from './tokens';

/**
 * Rotation of a tenant's data key (docs/encryption.md#per-tenant-data-keys): a new version that
 * encrypts the tenant's payloads from then on (each process within its key cache time, 60 s),
 * while the older versions keep decrypting what they encrypted; erasure shreds them all. The
 * platform operator, or the tenant's own admin (another tenant is not found, as elsewhere).
 */
@Injectable()
export class DataKeysService {
  constructor(
    @Inject(TENANCY) private readonly tenancy: Tenancy,
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(AuditService) private readonly trail: AuditService,
  ) {}

  async rotate(actor: Tenant, tenantId: string, now: number): Promise<DataKeyRotationBody> {
    const tenant =
      isOperator(actor) || actor.id === tenantId
        ? await this.tenancy.store.getTenant(tenantId)
        : undefined;
    if (!tenant) throw ProblemError.of('tenant-not-found', `No tenant "${tenantId}".`);
    if (!this.config.payloadKeys || this.config.models.encryption.tenantDataKeys !== true)
      throw ProblemError.of('tenant-data-keys-off');
    const dataKeys = this.tenancy.store.dataKeys;
    const previous = await dataKeys.versions(tenant.id);
    const made = await dataKeys.rotate(tenant.id, now);
    const keyId = tenantKeyRef(tenant.id, made.version);
    await this.trail.record(
      actor,
      tenant.id,
      'data-key.rotated',
      { keyId, version: made.version, previous: previous.at(-1) ?? null },
      now,
    );
    return {
      tenant: tenant.id,
      keyId,
      version: made.version,
      versions: [...previous.filter((v) => v !== made.version), made.version],
    };
  }
}
