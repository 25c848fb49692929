import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { BlobLifecycle } from '../../shared/platform/blob-store';
import { PlanDefinition, retentionDaysOf, TenantOverrides } from '../../shared/tenancy/plans';
import type { PrunedTable, TenantStore } from '../../shared/tenancy/store';
import { deleteRun, tenantWorkflowsQuery } from './delete-workflows';

const DAY_MS = 24 * 3600 * 1000;

/** Workflows per page of the visibility listing of a tenant's closed jobs. */
export const RETENTION_PAGE_SIZE = 100;

/** The retention actor in the audit trail. */
export const RETENTION_ACTOR = 'system:retention';

/** A tenant with a retention period, and what it means as of a run's `asOf`. */
export interface TenantRetention {
  tenantId: string;
  retentionDays: number;
  /** Epoch ms: what ended before this goes. */
  before: number;
}

export interface PruneTenantRowsArgs extends TenantRetention {
  /** The run's own id: the audit record's idempotency key (one record per run and tenant). */
  runId: string;
  asOf: number;
  jobsDeleted: number;
  /** Claim-check blobs deleted (absent in runs recorded before blobs were). */
  blobsDeleted?: number;
}

/**
 * Retention's steps (docs/governance.md#retention): which tenants have a retention period; a
 * tenant's closed workflows past it deleted from Temporal, with its claim-check blobs past it; its
 * rows past it pruned from the tenant store, with a `retention.enforced` record in its audit trail.
 */
export function createRetentionActivities(deps: {
  client?: Client;
  namespace?: string;
  store?: TenantStore;
  /** The claim check's blob store (docs/claim-check.md); without it there are no blobs. */
  blobs?: BlobLifecycle;
  now: () => number;
}) {
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`retention needs ${what}`);
    return value;
  };
  return {
    /** A page of tenants (by id, after `after`) that have a retention period, with their cut-off. */
    async retentionTenants(args: {
      asOf: number;
      after?: string;
      limit: number;
    }): Promise<{ tenants: TenantRetention[]; next?: string }> {
      const store = need(deps.store, 'the tenant store');
      const page = await store.listTenants({
        limit: args.limit,
        ...(args.after !== undefined ? { after: args.after } : {}),
      });
      const plans = new Map<string, PlanDefinition | undefined>();
      const tenants: TenantRetention[] = [];
      for (const t of page) {
        if (!plans.has(t.planId)) {
          const parsed = PlanDefinition.safeParse((await store.getPlan(t.planId))?.definition);
          plans.set(t.planId, parsed.success ? parsed.data : undefined);
        }
        const overrides = TenantOverrides.safeParse(t.overrides);
        const days = retentionDaysOf(plans.get(t.planId), overrides.success ? overrides.data : {});
        if (days !== null)
          tenants.push({ tenantId: t.id, retentionDays: days, before: args.asOf - days * DAY_MS });
      }
      return page.length === args.limit ? { tenants, next: page.at(-1)!.id } : { tenants };
    },

    /**
     * Deletes the tenant's workflows that closed before `before` (visibility: tagged with the
     * tenant, not running, CloseTime before it), page by page, heartbeating the count. A running
     * workflow is never listed, whatever its age. A retry lists again: a run deleted already
     * answers not-found and is not counted twice. Then the claim-check blobs of the workflows it
     * deleted, and the tenant's blobs written before `before` (those of workflows Temporal's own
     * namespace retention removed) except the blobs of its workflows still kept: running, or
     * closed since.
     */
    async pruneTenantJobs(
      args: TenantRetention,
    ): Promise<{ deleted: number; blobsDeleted: number }> {
      const client = need(deps.client, 'a Temporal client');
      const namespace = need(deps.namespace, 'a namespace');
      const cutoff = `'${new Date(args.before).toISOString()}'`;
      const query = `${tenantWorkflowsQuery(args.tenantId)} AND ExecutionStatus != 'Running' AND CloseTime < ${cutoff}`;
      let deleted = 0;
      const gone = new Set<string>();
      for await (const wf of client.workflow.list({ query, pageSize: RETENTION_PAGE_SIZE })) {
        if (wf.status.name === 'RUNNING' || !wf.closeTime || wf.closeTime.getTime() >= args.before)
          continue; // visibility's answer checked again: never a running or recent one
        if (await deleteRun(client, namespace, wf)) deleted++;
        gone.add(wf.workflowId);
        heartbeat(deleted);
      }
      const blobs = deps.blobs;
      if (!blobs) return { deleted, blobsDeleted: 0 };
      // Started before the cut-off and kept: their blobs may be older than it and still needed.
      const kept = new Set<string>();
      const keptQuery = `${tenantWorkflowsQuery(args.tenantId)} AND StartTime < ${cutoff} AND (ExecutionStatus = 'Running' OR CloseTime >= ${cutoff})`;
      for await (const wf of client.workflow.list({
        query: keptQuery,
        pageSize: RETENTION_PAGE_SIZE,
      })) {
        kept.add(wf.workflowId);
        heartbeat(deleted);
      }
      const blobsDeleted =
        (await blobs.deleteWorkflows(
          args.tenantId,
          [...gone].filter((id) => !kept.has(id)),
        )) + (await blobs.pruneTenant(args.tenantId, args.before, kept));
      return { deleted, blobsDeleted };
    },

    /** The tenant's rows past its period (retention.ts), then its audit record (idempotent). */
    async pruneTenantRows(args: PruneTenantRowsArgs): Promise<Record<PrunedTable, number>> {
      const store = need(deps.store, 'the tenant store');
      const rows = await store.pruneTenantData(args.tenantId, args.before);
      await store.audit.append(
        {
          key: `retention.enforced:${args.runId}:${args.tenantId}`,
          tenantId: args.tenantId,
          actor: RETENTION_ACTOR,
          action: 'retention.enforced',
          detail: {
            runId: args.runId,
            retentionDays: args.retentionDays,
            asOf: new Date(args.asOf).toISOString(),
            before: new Date(args.before).toISOString(),
            jobsDeleted: args.jobsDeleted,
            blobsDeleted: args.blobsDeleted ?? 0,
            rows,
          },
        },
        deps.now(),
      );
      return rows;
    },
  };
}
