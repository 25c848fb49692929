import type { KeelEvent, NewKeelEvent } from '../../shared/contracts/events';
import type { Logger } from '../../shared/platform/logger';
import type { TenantStore } from '../../shared/tenancy/store';

/** Told of each event once it is in the log (e.g. webhooks start their deliveries). */
export type EventSink = (event: KeelEvent) => Promise<void>;

export type PublishEvent = (event: NewKeelEvent) => Promise<KeelEvent | undefined>;

/**
 * Writes an event to the log, then hands it to each sink. Idempotent by the event's key: an
 * activity that retries after a sink failed writes nothing new and the sink sees the same event
 * (same id) again, so a sink must be idempotent by the event id too. Without a store there is no
 * log and nothing is published.
 */
export function createEventPublisher(deps: {
  store?: TenantStore;
  sinks?: readonly EventSink[];
  now: () => number;
  logger: Logger;
}): PublishEvent {
  return async (event) => {
    if (!deps.store) return undefined;
    const written = await deps.store.events.append(event, deps.now());
    for (const sink of deps.sinks ?? []) await sink(written);
    deps.logger.debug(
      { event: written.type, eventId: written.id, subject: written.subject },
      'event published',
    );
    return written;
  };
}
