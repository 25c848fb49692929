import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { BlobLifecycle } from '../../shared/platform/blob-store';
import { RETENTION_PAGE_SIZE } from './enforce-retention';

/** Seconds and nanos of a protobuf Duration, as milliseconds. */
const durationMs = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(d?.seconds ?? 0) * 1000 + Math.floor((d?.nanos ?? 0) / 1e6);

/**
 * Claim-check blobs of workflows of no tenant (`none/`: breakers, review queues, webhook
 * deliveries, Nexus runners) go with the namespace's own retention, which removed their histories
 * (docs/claim-check.md#limits-and-gaps): a blob written before `asOf − the namespace's retention`
 * is deleted unless its workflow still exists — started before the cut-off and running, or closed
 * since (a visibility query over the namespace). Without a blob store: nothing to do.
 */
export function createUnownedBlobRetention(deps: {
  client?: Client;
  namespace?: string;
  blobs?: BlobLifecycle;
}) {
  return {
    async pruneUnownedBlobs(args: {
      asOf: number;
    }): Promise<{ blobsDeleted: number; before?: string }> {
      const { client, namespace, blobs } = deps;
      if (!blobs) return { blobsDeleted: 0 };
      if (!client || !namespace) throw new Error('retention needs a Temporal client');
      const { config } = await client.workflowService.describeNamespace({ namespace });
      const retentionMs = durationMs(config?.workflowExecutionRetentionTtl);
      // A namespace that keeps histories forever keeps their blobs too.
      if (retentionMs <= 0) return { blobsDeleted: 0 };
      const before = args.asOf - retentionMs;
      const cutoff = `'${new Date(before).toISOString()}'`;
      const kept: string[] = [];
      // The raw service, not `client.workflow.list`: that decodes every memo, and a namespace may
      // hold workflows whose memos this deployment's keys do not open (another deployment's,
      // keys retired since). Only the ids are needed.
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await client.workflowService.listWorkflowExecutions({
          namespace,
          query: `StartTime < ${cutoff} AND (ExecutionStatus = 'Running' OR CloseTime >= ${cutoff})`,
          pageSize: RETENTION_PAGE_SIZE,
          ...(nextPageToken ? { nextPageToken } : {}),
        });
        for (const wf of page.executions) {
          const id = wf.execution?.workflowId;
          if (id) kept.push(id);
        }
        heartbeat(kept.length);
        nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      } while (nextPageToken);
      const blobsDeleted = await blobs.pruneUnowned(before, kept);
      return { blobsDeleted, before: new Date(before).toISOString() };
    },
  };
}
