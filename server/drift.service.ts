import { Inject, Injectable } from '@nestjs/common';
import { DriftQuery, type DriftBody } from '../shared/contracts/drift';
import { DriftMonitor } from '../shared/observability/drift-monitor';
import type { KeelConfig } from '../shared/platform/config';
import type { Logger } from '../shared/platform/logger';
import { trackDriftFiring } from '../shared/platform/metrics';
import type { Tenancy } from '../shared/tenancy/open';
import { parse } from './problem';
import { CONFIG, LOGGER, TENANCY } from './tokens';

/**
 * `GET /v1/drift` (docs/drift.md): evaluates every series on read from the shared store. Raising
 * alerts is the workers' job (they also tell the webhooks); this only reports, so a read never
 * changes anything.
 */
@Injectable()
export class DriftService {
  private readonly monitor: DriftMonitor;

  constructor(
    @Inject(TENANCY) tenancy: Tenancy,
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.monitor = new DriftMonitor({
      store: tenancy.store,
      logger,
      settings: config.drift,
      now: Date.now,
    });
    // keel_drift_alerts_firing reads the alert rows at each scrape of this API's /metrics.
    trackDriftFiring(() => tenancy.store.drift.firingByMetric());
  }

  async report(query: unknown, now: number): Promise<DriftBody> {
    const { status, ...filter } = parse(DriftQuery, query, 'query');
    const series = await this.monitor.report(filter);
    return {
      generatedAt: new Date(now).toISOString(),
      settings: this.config.drift,
      series: status ? series.filter((s) => s.status === status) : series,
    };
  }
}
