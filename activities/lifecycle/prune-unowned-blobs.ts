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
      for await (const wf of client.workflow.list({
        query: `StartTime < ${cutoff} AND (ExecutionStatus = 'Running' OR CloseTime >= ${cutoff})`,
        pageSize: RETENTION_PAGE_SIZE,
      })) {
        kept.push(wf.workflowId);
        if (kept.length % RETENTION_PAGE_SIZE === 0) heartbeat(kept.length);
      }
      const blobsDeleted = await blobs.pruneUnowned(before, kept);
      return { blobsDeleted, before: new Date(before).toISOString() };
    },
  };
}
