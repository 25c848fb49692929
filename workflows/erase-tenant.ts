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
  /** Claim-check blobs deleted from the blob store (absent from erasures run before they were). */
  blobsDeleted?: number;
  /** Rows deleted per table of the tenant store. */
  rows: Record<string, number>;
}

/**
 * Erases one tenant (docs/governance.md#erasure): its workflows and their claim-check blobs (one
 * heartbeating activity that lists until nothing is left), then its rows in the tenant store and the audit record. Not
 * tagged with the tenant, so it never lists itself.
 */
export async function eraseTenant(args: EraseTenantArgs): Promise<ErasureResult> {
  // The same commands as before blobs were deleted: the count rides on the activity's result
  // (0 when replaying an erasure recorded before).
  const jobs: { deleted: number; blobsDeleted?: number } = await eraseTenantJobs({
    tenantId: args.tenantId,
  });
  const jobsDeleted = jobs.deleted;
  const blobsDeleted = jobs.blobsDeleted ?? 0;
  const rows = await eraseTenantRows({ ...args, jobsDeleted, blobsDeleted });
  return { tenantId: args.tenantId, jobsDeleted, blobsDeleted, rows };
}
