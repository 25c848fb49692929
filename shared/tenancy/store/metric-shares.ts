import type { Kysely } from 'kysely';
import type { StoreSchema } from './schema';

/**
 * The operator dashboard's view of every running Keel process (docs/dashboard.md): each API and
 * worker process rewrites its one row every KEEL_METRICS_SHARE_MS with the few metrics the
 * dashboard draws, and deletes it when it stops cleanly; the dashboard sums the fresh rows. A
 * process killed without a clean stop leaves its row behind: it goes stale, and any process's
 * later `publish` deletes it once it is older than `PRUNE_AFTER_MS`.
 */

/** Rows not rewritten for this long are deleted by the next publication of any process. */
export const PRUNE_AFTER_MS = 3_600_000;

export const PROCESS_ROLES = ['api', 'api+worker', 'worker'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

export interface MetricShare {
  processId: string;
  role: ProcessRole;
  startedAt: number;
  updatedAt: number;
  /** prom-client `getMetricsAsJSON()` output, filtered (shared/tenancy/metric-share.ts). */
  metrics: unknown[];
}

const isRole = (r: string): r is ProcessRole => (PROCESS_ROLES as readonly string[]).includes(r);

export class MetricShareStore {
  constructor(private readonly db: Kysely<StoreSchema>) {}

  /** Writes (or rewrites) the process's row; deletes rows left long ago by processes gone. */
  async publish(share: MetricShare): Promise<void> {
    const body = JSON.stringify(share.metrics);
    await this.db
      .insertInto('metric_shares')
      .values({
        process_id: share.processId,
        role: share.role,
        started_at: share.startedAt,
        updated_at: share.updatedAt,
        body,
      })
      .onConflict((oc) =>
        oc.column('process_id').doUpdateSet({ updated_at: share.updatedAt, body }),
      )
      .execute();
    await this.db
      .deleteFrom('metric_shares')
      .where('updated_at', '<', share.updatedAt - PRUNE_AFTER_MS)
      .execute();
  }

  /** Rows rewritten at or after `since`, oldest process first. A body that does not parse is skipped. */
  async fresh(since: number): Promise<MetricShare[]> {
    const rows = await this.db
      .selectFrom('metric_shares')
      .selectAll()
      .where('updated_at', '>=', since)
      .orderBy('started_at')
      .orderBy('process_id')
      .execute();
    const out: MetricShare[] = [];
    for (const r of rows) {
      let metrics: unknown;
      try {
        metrics = JSON.parse(r.body);
      } catch {
        continue;
      }
      if (!Array.isArray(metrics) || !isRole(r.role)) continue;
      out.push({
        processId: r.process_id,
        role: r.role,
        startedAt: r.started_at,
        updatedAt: r.updated_at,
        metrics,
      });
    }
    return out;
  }

  /** A clean stop: the process's row goes at once. */
  async remove(processId: string): Promise<void> {
    await this.db.deleteFrom('metric_shares').where('process_id', '=', processId).execute();
  }
}
