import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { DashboardBody } from '../../shared/contracts/dashboard';
import { providerHealthWorkflowId } from '../../shared/contracts/messages';
import type { KeelConfig } from '../../shared/platform/config';
import type { Logger } from '../../shared/platform/logger';
import type { ProviderHealth } from '../../shared/platform/provider-health';
import type { Tenancy } from '../../shared/tenancy/open';
import { totalUsage, type ProcessRole } from '../../shared/tenancy/store';
import { startMetricShare, type MetricSharing } from '../../shared/tenancy/metric-share';
import { fromMicros } from '../../shared/tenancy/plans';
import { CONFIG, LOGGER, PROVIDER_HEALTH, TEMPORAL_CLIENT, TENANCY } from '../tokens';
import { spanOf, totalOf } from './merge';
import { parseShares, takeSnapshot, type CheckedShare, type Snapshot } from './snapshot';
import { seriesPoint, summarise } from './summary';

/** How often the metrics are sampled for the charts. */
export const SAMPLE_MS = 2_000;
/** Rates, percentiles and `inWindow` counts cover the last minute. */
export const WINDOW_MS = 60_000;
/** The charts' history: 5 minutes of samples. */
const KEEP = 150;
/** Cost per successful interaction: the usage ledger's last hour. */
const COST_WINDOW_MS = 3_600_000;
/** The ledger, the breaker listing and the metric rows are read at most this often, whoever asks. */
const SHARED_READ_MS = 2_000;
/** Another process's metrics row counts while rewritten within this many share intervals. */
export const STALE_INTERVALS = 3;
/** The interval staleness is measured in when this process does not share (KEEL_METRICS_SHARE_MS=0). */
const DEFAULT_SHARE_MS = 5_000;

type Cost = DashboardBody['cost'];
type Breakers = DashboardBody['breakers'];

/** A shared store's answer, read at most once per `ms` however many pages poll. */
class Held<T> {
  private at = 0;
  private value: Promise<T> | undefined;
  constructor(private readonly ms: number) {}
  get(now: number, read: () => Promise<T>): Promise<T> {
    if (this.value && now - this.at >= 0 && now - this.at < this.ms) return this.value;
    this.at = now;
    this.value = read();
    return this.value;
  }
}

/**
 * The operator dashboard's figures: a ring of samples taken every 2 s (so a page opened now has
 * the last 5 minutes to draw), each holding this process's metrics and every other Keel
 * process's fresh row (shared/tenancy/metric-share.ts), compared with a fresh sample at each
 * request (server/dashboard/merge.ts); cost from the usage ledger and breakers from their
 * entities, both shared by every replica. This API shares its own metrics too, while it runs.
 */
@Injectable()
export class DashboardService implements OnModuleInit, OnModuleDestroy {
  private readonly ring: Snapshot[] = [];
  private readonly series: DashboardBody['series'] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private readonly cost = new Held<Cost>(SHARED_READ_MS);
  private readonly breakers = new Held<Breakers>(SHARED_READ_MS);
  private readonly shares = new Held<CheckedShare[]>(SHARED_READ_MS);
  private sharesFailing = false;
  private sharing: MetricSharing | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(TENANCY) private readonly tenancy: Tenancy,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(PROVIDER_HEALTH) private readonly health: ProviderHealth,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private get role(): ProcessRole {
    return this.config.embeddedWorker ? 'api+worker' : 'api';
  }

  async onModuleInit(): Promise<void> {
    this.sharing = startMetricShare({
      store: this.tenancy.store.metricShares,
      role: this.role,
      everyMs: this.config.metrics.shareEveryMs,
      logger: this.logger,
    });
    await this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** At shutdown (before the tenant store closes): the timers stop and this process's row goes. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sharing?.stop();
  }

  /** This process now, and every other process's row rewritten within the staleness limit. */
  private async snapshot(now: number): Promise<Snapshot> {
    const staleMs = STALE_INTERVALS * (this.config.metrics.shareEveryMs || DEFAULT_SHARE_MS);
    const others = await this.shares.get(now, () => this.readShares(now - staleMs));
    return takeSnapshot(now, this.role, others);
  }

  private async readShares(since: number): Promise<CheckedShare[]> {
    try {
      const rows = parseShares(await this.tenancy.store.metricShares.fresh(since));
      this.sharesFailing = false;
      return rows;
    } catch (err) {
      if (!this.sharesFailing)
        this.logger.warn({ err: (err as Error).message }, 'dashboard: metric rows unavailable');
      this.sharesFailing = true;
      return [];
    }
  }

  private async sample(): Promise<void> {
    const snap = await this.snapshot(Date.now());
    // A point covers at least one share interval: another process's row changes only that often.
    const spanMs = Math.max(SAMPLE_MS, this.config.metrics.shareEveryMs);
    const prev = [...this.ring].reverse().find((s) => s.at <= snap.at - spanMs) ?? this.ring[0];
    if (prev) this.series.push(seriesPoint(snap.at, await spanOf(snap, this.ring, prev.at)));
    this.ring.push(snap);
    if (this.ring.length > KEEP) this.ring.shift();
    if (this.series.length > KEEP) this.series.shift();
  }

  async summary(now: number): Promise<DashboardBody> {
    const snap = await this.snapshot(now);
    const base = this.ring.find((s) => s.at >= now - WINDOW_MS) ?? this.ring[this.ring.length - 1];
    const windowMs = base ? now - base.at : 0;
    const [total, span, cost, breakers] = await Promise.all([
      totalOf(snap),
      base ? spanOf(snap, this.ring, base.at) : undefined,
      this.cost.get(now, () => this.readCost(now)),
      this.breakers.get(now, () => this.readBreakers(now)),
    ]);
    return {
      generatedAt: new Date(now).toISOString(),
      windowSeconds: Math.round(windowMs / 100) / 10,
      process: {
        embeddedWorker: this.config.embeddedWorker,
        startedAt: new Date(this.startedAt).toISOString(),
      },
      processes: snap.processes.map((p) => ({
        role: p.role,
        startedAt: new Date(p.startedAt).toISOString(),
        updatedAt: new Date(p.at).toISOString(),
        self: p.self,
      })),
      ...summarise(total, span),
      series: [...this.series],
      cost,
      breakers,
    };
  }

  private async readCost(now: number): Promise<Cost> {
    const from = now - COST_WINDOW_MS;
    try {
      const t = totalUsage(await this.tenancy.store.usage({ from, to: now, groupBy: [] }));
      const costUsd = fromMicros(t.costMicros);
      return {
        from: new Date(from).toISOString(),
        to: new Date(now).toISOString(),
        costUsd,
        jobs: t.jobs,
        validAnswers: t.validAnswers,
        costPerSuccessUsd: t.validAnswers > 0 ? costUsd / t.validAnswers : null,
      };
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'dashboard: usage ledger unavailable');
      return null;
    }
  }

  /** Provider/models whose breaker entity runs (visibility), then each one's published state. */
  private async readBreakers(now: number): Promise<Breakers> {
    const byId = new Map(
      this.config.models.models.map((m) => [
        providerHealthWorkflowId(this.config.taskQueue, m.provider, m.name),
        m,
      ]),
    );
    const found: { provider: string; model: string }[] = [];
    try {
      const listing = this.client.workflow.list({
        query: `WorkflowType = 'providerHealth' AND ExecutionStatus = 'Running' AND TaskQueue = '${this.config.taskQueue.replace(/'/g, "\\'")}'`,
        pageSize: 200,
      });
      for await (const wf of listing) {
        const m = byId.get(wf.workflowId);
        if (m) found.push({ provider: m.provider, model: m.name });
        if (found.length >= byId.size) break;
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'dashboard: breaker listing unavailable');
    }
    const views = await Promise.all(found.map((f) => this.health.view(f.provider, f.model, now)));
    return views
      .map((v) => ({
        provider: v.provider,
        model: v.model,
        state: v.state,
        ...(v.openedAt ? { openedAt: new Date(v.openedAt).toISOString() } : {}),
        requests: v.stats.requests,
        failures: v.stats.failures,
        errorRate: v.stats.errorRate,
        p95Ms: v.stats.latencyMs.p95,
      }))
      .sort((a, b) => `${a.provider}:${a.model}`.localeCompare(`${b.provider}:${b.model}`));
  }
}
