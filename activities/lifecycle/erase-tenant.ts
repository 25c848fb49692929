import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { BlobLifecycle } from '../../shared/platform/blob-store';
import type { TenantStore } from '../../shared/tenancy/store';
import { deleteRun, tenantWorkflowsQuery, terminateRun } from './delete-workflows';

/** Listings with nothing new to delete before the jobs count as gone. */
const QUIET_PASSES = 2;

export interface EraseTenantArgs {
  tenantId: string;
  /** The erasure's own id (its workflow id): the audit record's idempotency key. */
  erasureId: string;
  /** `key:<id>` of the operator who asked. */
  requestedBy: string;
}

/**
 * Erasure's steps (docs/governance.md#erasure): every workflow of the tenant — its jobs, batches,
 * long documents, tagged `KeelTenant` — terminated if running and deleted from Temporal, history
 * and all, with their claim-check blobs; then the tenant's rows in the tenant store; then the
 * record in its audit trail.
 */
export function createEraseActivities(deps: {
  client?: Client;
  namespace?: string;
  store?: TenantStore;
  /** The claim check's blob store (docs/claim-check.md); without it there are no blobs. */
  blobs?: BlobLifecycle;
  now: () => number;
}) {
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`erasure needs ${what}`);
    return value;
  };
  return {
    /**
     * Deletes every workflow of the tenant: lists them (visibility), terminates the running ones,
     * deletes each once, and lists again until a listing shows nothing new twice, a few seconds
     * apart (visibility lags both new starts and deletions). Heartbeats its count. Then every
     * claim-check blob of the tenant (and of its workflows, where a process wrote one before it
     * knew the workflow's tenant).
     */
    async eraseTenantJobs(args: {
      tenantId: string;
    }): Promise<{ deleted: number; blobsDeleted: number }> {
      const client = need(deps.client, 'a Temporal client');
      const namespace = need(deps.namespace, 'a namespace');
      const query = tenantWorkflowsQuery(args.tenantId);
      const done = new Set<string>();
      for (let quiet = 0; quiet < QUIET_PASSES;) {
        let fresh = 0;
        for await (const wf of client.workflow.list({ query, pageSize: 100 })) {
          const key = `${wf.workflowId}/${wf.runId}`;
          if (done.has(key)) continue;
          if (wf.status.name === 'RUNNING')
            await terminateRun(client, wf, 'the tenant is being erased');
          if (await deleteRun(client, namespace, wf)) fresh++;
          done.add(key);
          heartbeat(done.size);
        }
        quiet = fresh === 0 ? quiet + 1 : 0;
        if (quiet < QUIET_PASSES) await new Promise((r) => setTimeout(r, fresh ? 200 : 2_000));
      }
      const workflowIds = new Set([...done].map((k) => k.slice(0, k.lastIndexOf('/'))));
      const blobsDeleted = (await deps.blobs?.deleteTenant(args.tenantId, workflowIds)) ?? 0;
      return { deleted: [...done].length, blobsDeleted };
    },

    /** The tenant's rows, then the audit record (idempotent by the erasure's id). */
    async eraseTenantRows(
      args: EraseTenantArgs & { jobsDeleted: number; blobsDeleted?: number },
    ): Promise<Record<string, number>> {
      const store = need(deps.store, 'the tenant store');
      const rows = await store.eraseTenantData(args.tenantId);
      await store.audit.append(
        {
          key: `tenant.erased:${args.erasureId}`,
          tenantId: args.tenantId,
          actor: args.requestedBy,
          action: 'tenant.erased',
          detail: {
            erasureId: args.erasureId,
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
