import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  DEFAULT_BREAKER,
  initialBreaker,
  windowStats,
  type BreakerSettings,
  type CallOutcome,
} from '../policy/breaker';
import {
  acquirePermitUpdate,
  providerHealthWorkflowId,
  reportOutcomesSignal,
  type ProviderHealthView,
  type ProviderHealthWorkflow,
  type PublishedHealth,
} from '../contracts/messages';
import type { Logger } from './logger';
import { recordBreakerState } from './metrics';

export interface ProviderHealthOptions {
  /** A published state read less than this long ago is reused (no `describe`). */
  viewCacheMs: number;
  /** Outcomes are sent in one signal per provider/model at most this often. */
  reportEveryMs: number;
}

/**
 * One `describe` per call and one signal per outcome made every task pay two server round trips
 * and a workflow task on a hot entity (50 signals/s to one workflow at 50 tasks/s). Reads are
 * reused for a second and reports go out in batches four times a second: a circuit opens at most
 * about 1.5 s later than it would have, in exchange for tasks that never wait on the breaker.
 */
export const DEFAULT_HEALTH_OPTIONS: ProviderHealthOptions = {
  viewCacheMs: 1_000,
  reportEveryMs: 250,
};

/** Outcomes per signal at most (a signal's payload stays small). */
const MAX_BATCH = 200;

/**
 * Client side of the shared breakers: reads the health each entity publishes in its memo
 * (`describe`, answered by the server, never by a worker), asks for a permit when a circuit may
 * let a probe through (update), and reports outcomes (signal-with-start: the first report
 * creates the entity). Unknown state never blocks a closed circuit; an open one stays shut.
 */
export class ProviderHealth {
  private readonly views = new Map<string, { view: ProviderHealthView; readAt: number }>();
  private readonly pending = new Map<
    string,
    { provider: string; model: string; outcomes: CallOutcome[] }
  >();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly logger: Logger,
    readonly settings: BreakerSettings = DEFAULT_BREAKER,
    readonly options: ProviderHealthOptions = DEFAULT_HEALTH_OPTIONS,
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
    const key = `${provider}\n${model}`;
    const cached = this.views.get(key);
    if (cached && now - cached.readAt >= 0 && now - cached.readAt < this.options.viewCacheMs) {
      return cached.view;
    }
    const view = await this.read(provider, model, now);
    this.views.set(key, { view, readAt: now });
    return view;
  }

  private async read(provider: string, model: string, now: number): Promise<ProviderHealthView> {
    let published: PublishedHealth | undefined;
    let known = true;
    try {
      const desc = await this.client.workflow
        .getHandle(providerHealthWorkflowId(this.taskQueue, provider, model))
        .describe();
      published = (desc.memo as { health?: PublishedHealth } | undefined)?.health;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) {
        known = false;
        this.logger.warn(
          { provider, model, err: (err as Error).message },
          'breaker state unavailable; treating as closed',
        );
      }
    }
    // An entity never reported to is closed; an unreadable one leaves the gauge as it was.
    if (known) recordBreakerState(provider, model, published?.state ?? 'closed');
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

  /**
   * May a call go out now? Closed: yes. Open within openMs: no. Otherwise the entity decides.
   * `callMs` bounds the call this permit is for: a probe is held that long after the permit's own
   * deadline, plus the report's batching and delivery, so no second probe joins a slow one.
   */
  async permit(
    provider: string,
    model: string,
    now: number,
    callMs = 0,
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
          .executeUpdate(acquirePermitUpdate, {
            args: [{ now, probeUntil: this.probeUntil(now, callMs) }],
          }),
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

  /** When a probe granted at `now` for a call of at most `callMs` has surely been reported. */
  probeUntil(now: number, callMs: number): number {
    return now + PERMIT_DEADLINE_MS + callMs + this.options.reportEveryMs + REPORT_DELIVERY_MS;
  }

  /** Queues an outcome; it reaches the entity with the next batch (see reportEveryMs). */
  report(provider: string, model: string, outcome: CallOutcome): Promise<void> {
    const key = `${provider}\n${model}`;
    const batch = this.pending.get(key) ?? { provider, model, outcomes: [] };
    batch.outcomes.push(outcome);
    this.pending.set(key, batch);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.reportEveryMs);
    return Promise.resolve();
  }

  /** Sends every queued outcome now (also on shutdown, so a stopping worker loses none). */
  flush(): Promise<void> {
    const batches = [...this.pending.values()];
    this.pending.clear();
    this.flushing = this.flushing.then(() =>
      Promise.all(batches.map((b) => this.send(b.provider, b.model, b.outcomes))).then(
        () => undefined,
      ),
    );
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async send(provider: string, model: string, outcomes: CallOutcome[]): Promise<void> {
    for (let i = 0; i < outcomes.length; i += MAX_BATCH) {
      try {
        await this.client.workflow.signalWithStart<ProviderHealthWorkflow, [CallOutcome[]]>(
          'providerHealth',
          {
            workflowId: providerHealthWorkflowId(this.taskQueue, provider, model),
            taskQueue: this.taskQueue,
            // The breaker answers permits under a deadline: it must not queue behind any plan's
            // backlog (tasks run at their plan's priority, 1 the highest; docs/fairness.md).
            priority: { priorityKey: 1 },
            args: [{ provider, model, settings: this.settings }],
            signal: reportOutcomesSignal,
            signalArgs: [outcomes.slice(i, i + MAX_BATCH)],
          },
        );
      } catch (err) {
        this.logger.warn(
          { provider, model, err: (err as Error).message },
          'could not report call outcomes',
        );
      }
    }
  }
}

/** How long a half-open permit may take before the call is refused. */
const PERMIT_DEADLINE_MS = 3_000;
/** A batch of outcomes reaches the entity within this after it is sent (a signal-with-start). */
const REPORT_DELIVERY_MS = 2_000;
