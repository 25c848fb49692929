import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EraseTenantArgs } from '../activities/lifecycle/erase-tenant';

const { eraseTenantJobs, eraseTenantRows } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export interface ErasureResult {
  tenantId: string;
  jobsDeleted: number;
  /** Rows deleted per table of the tenant store. */
  rows: Record<string, number>;
}

/**
 * Erases one tenant (docs/governance.md#erasure): its workflows (one heartbeating activity that
 * lists until nothing is left), then its rows in the tenant store and the audit record. Not
 * tagged with the tenant, so it never lists itself.
 */
export async function eraseTenant(args: EraseTenantArgs): Promise<ErasureResult> {
  const { deleted: jobsDeleted } = await eraseTenantJobs({ tenantId: args.tenantId });
  const rows = await eraseTenantRows({ ...args, jobsDeleted });
  return { tenantId: args.tenantId, jobsDeleted, rows };
}
