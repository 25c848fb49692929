import { heartbeat } from '@temporalio/activity';
import type { TenantStore } from '../../shared/tenancy/store';

/** Samples deleted per statement: each batch is one short transaction, a heartbeat between. */
export const DEBUG_SAMPLE_PRUNE_BATCH = 5_000;

export interface PrunedDebugSamples {
  /** Samples deleted, all tenants. */
  deleted: number;
  /** Per tenant that had any. */
  perTenant: Record<string, number>;
}

/**
 * Debug samples' own retention (docs/debug-samples.md#retention), a step of the retention run:
 * every sample past its expiry (taken + its tenant's `debugSamples.retentionDays`) goes, whether
 * or not the tenant has a job retention period and whether or not it still samples.
 */
export function createDebugSampleRetention(deps: { store?: TenantStore }) {
  return {
    async pruneDebugSamples(args: { asOf: number }): Promise<PrunedDebugSamples> {
      const store = deps.store;
      const pruned: PrunedDebugSamples = { deleted: 0, perTenant: {} };
      if (!store) return pruned;
      for (;;) {
        const batch = await store.debugSamples.prune(args.asOf, DEBUG_SAMPLE_PRUNE_BATCH);
        const counts = Object.entries(batch);
        if (counts.length === 0) return pruned;
        for (const [tenant, n] of counts) {
          pruned.deleted += n;
          pruned.perTenant[tenant] = (pruned.perTenant[tenant] ?? 0) + n;
        }
        heartbeat(pruned.deleted);
      }
    },
  };
}
