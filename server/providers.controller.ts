import { Controller, Get, Inject } from '@nestjs/common';
import { adaptiveTimeoutMs } from '../shared/policy/breaker';
import type { ProvidersBody } from '../shared/contracts/http';
import type { ProviderHealthView } from '../shared/contracts/messages';
import type { KeelConfig } from '../shared/platform/config';
import type { ProviderHealth } from '../shared/platform/provider-health';
import { TASKS, callTimeoutBoundsMs } from '../shared/tasks';
import { enabledProviderNames } from '../shared/platform/provider-settings';
import { isInProcess } from '../shared/platform/model-registry';
import { CONFIG, PROVIDER_HEALTH } from './tokens';

/** Nominal prompt size for the timeouts shown here (the real ones scale with each prompt). */
const NOMINAL_INPUT_TOKENS = 500;

export interface ProviderEntryView extends ProviderHealthView {
  /** The call timeout a task would get now, for a nominal 500-token prompt. */
  timeoutMs: Record<string, number>;
}

@Controller('v1/providers')
export class ProvidersController {
  private readonly enabled: ReadonlySet<string>;

  constructor(
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(PROVIDER_HEALTH) private readonly health: ProviderHealth,
  ) {
    this.enabled = enabledProviderNames(config);
  }

  /** Per configured provider/model: breaker state and transitions, error rate, latency percentiles. */
  @Get()
  async list(): Promise<ProvidersBody> {
    const now = Date.now();
    const models = this.config.models.models.filter(
      (m) => this.enabled.has(m.provider) && !isInProcess(this.config.models, m.provider),
    );
    const providers = await Promise.all(
      models.map(async (m) => {
        const view = await this.health.view(m.provider, m.name, now);
        const timeoutMs = Object.fromEntries(
          Object.values(TASKS).map((t) => [
            t.name,
            adaptiveTimeoutMs(view.stats, {
              ...callTimeoutBoundsMs(t.envelope),
              minRequests: this.health.settings.minRequests,
              estimatedInputTokens: NOMINAL_INPUT_TOKENS,
            }),
          ]),
        );
        return { ...view, timeoutMs };
      }),
    );
    return { providers };
  }
}
