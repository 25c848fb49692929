import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { webhookWorkflowId } from '../../shared/contracts/webhooks';
import type { TenantStore } from '../../shared/tenancy/store';
import { startWebhookDelivery } from '../../shared/webhooks/start-delivery';
import type { EventSink } from '../events/publish';

/** A delivery's id: `whd_` and 20 random base32-ish characters. */
export const newDeliveryId = (): string => `whd_${randomBytes(15).toString('base64url')}`;

/**
 * The webhooks' event sink: for each enabled endpoint of the event's tenant subscribed to its
 * type, a delivery row and a delivery workflow under a deterministic id. Told twice of an event
 * (its publisher retried), it finds the same delivery and the workflow already started.
 */
export function createWebhookSink(deps: {
  store: TenantStore;
  client: Client;
  taskQueue: string;
  /** KEEL_WEBHOOK_RETRY_INITIAL_MS: the first retry's wait. */
  initialIntervalMs: number;
  now: () => number;
}): EventSink {
  return async (event) => {
    const endpoints = await deps.store.webhooks.subscribers(event.tenantId, event.type);
    for (const endpoint of endpoints) {
      const delivery = await deps.store.webhooks.ensureDelivery(
        endpoint,
        event,
        newDeliveryId(),
        deps.now(),
      );
      await startWebhookDelivery(deps.client, {
        taskQueue: deps.taskQueue,
        workflowId: webhookWorkflowId(endpoint.id, event.id),
        args: { deliveryId: delivery.id, initialIntervalMs: deps.initialIntervalMs },
      });
    }
  };
}
