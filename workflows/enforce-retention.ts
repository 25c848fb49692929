import { continueAsNew, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TenantRetention } from '../activities/lifecycle/enforce-retention';

const { retentionTenants, pruneTenantJobs, pruneTenantRows, pruneDebugSamples, pruneUnownedBlobs } =
  proxyActivities<Activities>({
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '30 seconds',
    retry: { maximumAttempts: 10, initialInterval: '1 second', maximumInterval: '30 seconds' },
  });

/** The run also prunes expired debug samples (docs/debug-samples.md#retention), first. */
export const DEBUG_SAMPLES_PATCH = 'retention-debug-samples-v1';
/** Then the claim-check blobs of no tenant past the namespace's retention (docs/claim-check.md). */
export const UNOWNED_BLOBS_PATCH = 'retention-unowned-blobs-v1';

/** Tenants read per page of the tenant store. */
const TENANTS_PER_PAGE = 100;
/** Tenants detailed in the result (every one is in its own audit trail). */
const MAX_LISTED = 200;

export interface EnforceRetentionArgs {
  /**
   * Epoch ms the periods count back from. @default the run's start (workflow time). A later
   * instant deletes what will be past its period then: for tests and drills, never the schedule.
   */
  asOf?: number;
  /** Continue-as-new: the last tenant done and the result so far. */
  after?: string;
  sofar?: RetentionResult;
}

export interface TenantRetentionResult {
  tenantId: string;
  retentionDays: number;
  /** ISO 8601: what ended before this went. */
  before: string;
  jobsDeleted: number;
  /** Claim-check blobs deleted from the blob store. */
  blobsDeleted: number;
  /** Rows pruned per table of the tenant store. */
  rows: Record<string, number>;
}

export interface RetentionResult {
  asOf: string;
  /** Tenants with a retention period. */
  tenants: number;
  /** Workflows deleted from Temporal, all tenants. */
  jobsDeleted: number;
  /** Claim-check blobs deleted, all tenants (absent in a result carried over from before). */
  blobsDeleted?: number;
  /** Rows pruned per table, all tenants. */
  rows: Record<string, number>;
  /** Expired debug samples deleted, all tenants, and per tenant (absent in runs before them). */
  debugSamples?: { deleted: number; perTenant: Record<string, number> };
  /**
   * Claim-check blobs of workflows of no tenant deleted, written before `before` (the namespace's
   * retention back from `asOf`; absent in runs before them, or without a blob store).
   */
  unownedBlobs?: { blobsDeleted: number; before?: string };
  /** Per tenant (the first MAX_LISTED; `unlisted` counts the others). */
  perTenant: TenantRetentionResult[];
  unlisted: number;
}

/**
 * Retention (docs/governance.md#retention), run by the `keel-retention` schedule: for each tenant
 * with a retention period, its workflows closed before it are deleted from Temporal (and its
 * claim-check blobs of that age), then its
 * rows of that age pruned from the tenant store and the counts recorded in its audit trail
 * (`retention.enforced`). First, every expired debug sample goes, whatever its tenant's job
 * retention, and the claim-check blobs of no tenant past the namespace's own retention. Not tagged
 * with a tenant, so it never lists itself.
 */
export async function enforceRetention(args: EnforceRetentionArgs = {}): Promise<RetentionResult> {
  const asOf = args.asOf ?? Date.now();
  const runId = `${workflowInfo().workflowId}/${workflowInfo().firstExecutionRunId}`;
  const result: RetentionResult = args.sofar ?? {
    asOf: new Date(asOf).toISOString(),
    tenants: 0,
    jobsDeleted: 0,
    blobsDeleted: 0,
    rows: {},
    perTenant: [],
    unlisted: 0,
  };
  let after = args.after;
  // Once per run (not again after continue-as-new): each sample carries its own expiry.
  if (args.after === undefined && patched(DEBUG_SAMPLES_PATCH))
    result.debugSamples = await pruneDebugSamples({ asOf });
  if (args.after === undefined && patched(UNOWNED_BLOBS_PATCH))
    result.unownedBlobs = await pruneUnownedBlobs({ asOf });
  for (;;) {
    const page = await retentionTenants({
      asOf,
      limit: TENANTS_PER_PAGE,
      ...(after !== undefined ? { after } : {}),
    });
    for (const t of page.tenants) await enforceOne(t, asOf, runId, result);
    if (page.next === undefined) return result;
    after = page.next;
    if (workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof enforceRetention>({ asOf, after, sofar: result });
  }
}

async function enforceOne(
  t: TenantRetention,
  asOf: number,
  runId: string,
  result: RetentionResult,
): Promise<void> {
  // The same commands as before blobs were deleted: the count rides on the activity's result
  // (0 when replaying a run recorded before).
  const jobs: { deleted: number; blobsDeleted?: number } = await pruneTenantJobs(t);
  const jobsDeleted = jobs.deleted;
  const blobsDeleted = jobs.blobsDeleted ?? 0;
  const rows = await pruneTenantRows({ ...t, runId, asOf, jobsDeleted, blobsDeleted });
  result.tenants++;
  result.jobsDeleted += jobsDeleted;
  result.blobsDeleted = (result.blobsDeleted ?? 0) + blobsDeleted;
  for (const [table, n] of Object.entries(rows)) result.rows[table] = (result.rows[table] ?? 0) + n;
  if (result.perTenant.length < MAX_LISTED) {
    result.perTenant.push({
      tenantId: t.tenantId,
      retentionDays: t.retentionDays,
      before: new Date(t.before).toISOString(),
      jobsDeleted,
      blobsDeleted,
      rows,
    });
  } else result.unlisted++;
}
