import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { DashboardBody } from '../../shared/contracts/dashboard';
import { providerHealthWorkflowId } from '../../shared/contracts/messages';
import type { KeelConfig } from '../../shared/platform/config';
import type { Logger } from '../../shared/platform/logger';
import type { ProviderHealth } from '../../shared/platform/provider-health';
import type { Tenancy } from '../../shared/tenancy/open';
import { totalUsage } from '../../shared/tenancy/store';
import { fromMicros } from '../../shared/tenancy/plans';
import { CONFIG, LOGGER, PROVIDER_HEALTH, TEMPORAL_CLIENT, TENANCY } from '../tokens';
import { takeSnapshot, type Snapshot } from './snapshot';
import { seriesPoint, summarise } from './summary';

/** How often the metrics are sampled for the charts. */
export const SAMPLE_MS = 2_000;
/** Rates, percentiles and `inWindow` counts cover the last minute. */
export const WINDOW_MS = 60_000;
/** The charts' history: 5 minutes of samples. */
const KEEP = 150;
/** Cost per successful interaction: the usage ledger's last hour. */
const COST_WINDOW_MS = 3_600_000;
/** The ledger and the breaker listing are read at most this often, whoever asks. */
const SHARED_READ_MS = 2_000;

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
 * The operator dashboard's figures: a ring of metric snapshots taken every 2 s (so a page opened
 * now has the last 5 minutes to draw), compared with a fresh one at each request; cost from the
 * usage ledger and breakers from their entities, both shared by every replica.
 */
@Injectable()
export class DashboardService implements OnModuleInit, OnModuleDestroy {
  private readonly ring: Snapshot[] = [];
  private readonly series: DashboardBody['series'] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private readonly cost = new Held<Cost>(SHARED_READ_MS);
  private readonly breakers = new Held<Breakers>(SHARED_READ_MS);

  constructor(
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(TENANCY) private readonly tenancy: Tenancy,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(PROVIDER_HEALTH) private readonly health: ProviderHealth,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    const snap = await takeSnapshot(Date.now());
    const prev = this.ring[this.ring.length - 1];
    if (prev) this.series.push(seriesPoint(snap, prev));
    this.ring.push(snap);
    if (this.ring.length > KEEP) this.ring.shift();
    if (this.series.length > KEEP) this.series.shift();
  }

  async summary(now: number): Promise<DashboardBody> {
    const snap = await takeSnapshot(now);
    const base = this.ring.find((s) => s.at >= now - WINDOW_MS) ?? this.ring[this.ring.length - 1];
    const windowMs = base ? now - base.at : 0;
    const [cost, breakers] = await Promise.all([
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
      ...summarise(snap, base),
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
