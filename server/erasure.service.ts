import { Inject, Injectable } from '@nestjs/common';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { EraseTenantBody, type ErasureBody } from '../shared/contracts/admin';
import type { KeelConfig } from '../shared/platform/config';
import { type Tenant, type TenantDirectory } from '../shared/tenancy/directory';
import type { Tenancy } from '../shared/tenancy/open';
import { keyActor } from '../shared/tenancy/store';
import type { ErasureResult } from '../workflows/erase-tenant';
import { parse, ProblemError } from './problem';
import { isOperator } from './tenant-scope';
import { CONFIG, TEMPORAL_CLIENT, TENANCY, TENANTS } from './tokens';

/** One erasure per tenant at a time: its workflow id. */
export const erasureId = (tenantId: string): string => `erase-tenant-${tenantId}`;

/**
 * Erasure of a tenant on request (docs/governance.md#erasure): the platform operator, for a
 * suspended tenant, with its id typed again. Runs as the `eraseTenant` workflow; its status is
 * read back from that workflow.
 */
@Injectable()
export class ErasureService {
  constructor(
    @Inject(TENANCY) private readonly tenancy: Tenancy,
    @Inject(TENANTS) private readonly directory: TenantDirectory,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(CONFIG) private readonly config: KeelConfig,
  ) {}

  async start(actor: Tenant, tenantId: string, body: unknown): Promise<ErasureBody> {
    requireOperator(actor);
    const b = parse(EraseTenantBody, body, 'body');
    const tenant = await this.tenancy.store.getTenant(tenantId);
    if (!tenant) throw ProblemError.of('tenant-not-found', `There is no tenant "${tenantId}".`);
    if (b.confirm !== tenantId)
      throw ProblemError.of('invalid-request', 'Type the tenant’s id in `confirm` to erase it.', {
        errors: [{ field: 'confirm', message: `must be "${tenantId}"` }],
      });
    if (tenant.status !== 'suspended')
      throw ProblemError.of(
        'tenant-not-suspended',
        `Suspend tenant "${tenantId}" first (PATCH its status), so nothing new starts while it is erased.`,
      );
    const id = erasureId(tenantId);
    try {
      await this.client.workflow.start('eraseTenant', {
        workflowId: id,
        taskQueue: this.config.taskQueue,
        args: [{ tenantId, erasureId: id, requestedBy: keyActor(actor.keyId) }],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
    } catch (err) {
      // Already erasing: the same erasure answers.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    this.directory.invalidate();
    return { erasureId: id, tenant: tenantId, status: 'running' };
  }

  async status(actor: Tenant, tenantId: string): Promise<ErasureBody> {
    requireOperator(actor);
    const id = erasureId(tenantId);
    const handle = this.client.workflow.getHandle(id);
    try {
      const desc = await handle.describe();
      const base = { erasureId: id, tenant: tenantId };
      if (desc.status.name === 'RUNNING') return { ...base, status: 'running' };
      if (desc.status.name !== 'COMPLETED') return { ...base, status: 'failed' };
      return { ...base, status: 'completed', result: (await handle.result()) as ErasureResult };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw ProblemError.of('tenant-not-found', `No erasure of tenant "${tenantId}".`);
      throw err;
    }
  }
}

function requireOperator(actor: Tenant): void {
  if (!isOperator(actor))
    throw ProblemError.of('forbidden', 'Only the platform operator erases a tenant.');
}
