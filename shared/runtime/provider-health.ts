import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  DEFAULT_BREAKER,
  initialBreaker,
  windowStats,
  type BreakerSettings,
  type CallOutcome,
} from '../breaker';
import {
  acquirePermitUpdate,
  providerHealthWorkflowId,
  reportOutcomeSignal,
  type ProviderHealthView,
  type PublishedHealth,
} from '../messages';
import type { providerHealth } from '../../workflows/provider-health';
import type { Logger } from './logger';

/**
 * Client side of the shared breakers: reads the health each entity publishes in its memo
 * (`describe`, answered by the server, never by a worker), asks for a permit when a circuit may
 * let a probe through (update), and reports outcomes (signal-with-start: the first report
 * creates the entity). Unknown state never blocks a closed circuit; an open one stays shut.
 */
export class ProviderHealth {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly logger: Logger,
    readonly settings: BreakerSettings = DEFAULT_BREAKER,
  ) {}

  private empty(provider: string, model: string, now: number): ProviderHealthView {
    return {
      provider,
      model,
      state: 'closed',
      stats: windowStats(initialBreaker(), this.settings, now),
      transitions: [],
    };
  }

  /** Health now; a provider/model never reported is closed with an empty window. */
  async view(provider: string, model: string, now: number): Promise<ProviderHealthView> {
    let published: PublishedHealth | undefined;
    try {
      const desc = await this.client.workflow
        .getHandle(providerHealthWorkflowId(this.taskQueue, provider, model))
        .describe();
      published = (desc.memo as { health?: PublishedHealth } | undefined)?.health;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) {
        this.logger.warn(
          { provider, model, err: (err as Error).message },
          'breaker state unavailable; treating as closed',
        );
      }
    }
    if (!published) return this.empty(provider, model, now);
    // Stats older than the window describe nothing any more.
    const stale = now - published.asOf > this.settings.windowMs;
    return {
      provider,
      model,
      state: published.state,
      openedAt: published.openedAt,
      stats: stale ? this.empty(provider, model, now).stats : published.stats,
      transitions: published.transitions,
    };
  }

  /** May a call go out now? Closed: yes. Open within openMs: no. Otherwise the entity decides. */
  async permit(
    provider: string,
    model: string,
    now: number,
  ): Promise<{ allow: boolean; probe: boolean }> {
    const health = await this.view(provider, model, now);
    if (health.state === 'closed') return { allow: true, probe: false };
    if (health.state === 'open' && now - (health.openedAt ?? now) < this.settings.openMs) {
      return { allow: false, probe: false };
    }
    try {
      return await this.client.withDeadline(now + PERMIT_DEADLINE_MS, () =>
        this.client.workflow
          .getHandle(providerHealthWorkflowId(this.taskQueue, provider, model))
          .executeUpdate(acquirePermitUpdate, { args: [{ now }] }),
      );
    } catch (err) {
      // A circuit that was not closed stays shut until the entity can say otherwise.
      this.logger.warn(
        { provider, model, err: (err as Error).message },
        'breaker permit unavailable; refusing the call',
      );
      return { allow: false, probe: false };
    }
  }

  async report(provider: string, model: string, outcome: CallOutcome): Promise<void> {
    try {
      await this.client.workflow.signalWithStart<typeof providerHealth, [CallOutcome]>(
        'providerHealth',
        {
          workflowId: providerHealthWorkflowId(this.taskQueue, provider, model),
          taskQueue: this.taskQueue,
          args: [{ provider, model, settings: this.settings }],
          signal: reportOutcomeSignal,
          signalArgs: [outcome],
        },
      );
    } catch (err) {
      this.logger.warn(
        { provider, model, err: (err as Error).message },
        'could not report a call outcome',
      );
    }
  }
}

/** How long a half-open permit may take before the call is refused. */
const PERMIT_DEADLINE_MS = 3_000;
