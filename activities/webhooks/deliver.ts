import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  WEBHOOK_ATTEMPT_TIMEOUT_MS,
  WEBHOOK_MAX_RETRY_INTERVAL_MS,
  webhookMessageId,
  type DeliverWebhookArgs,
} from '../../shared/contracts/webhooks';
import type { Logger } from '../../shared/platform/logger';
import type { DeliveryState, TenantStore } from '../../shared/tenancy/store';
import { isPrivateAddress } from '../../shared/webhooks/destination';
import { activeSecrets, signatureHeader } from '../../shared/webhooks/signature';
import { postWebhook, type PostOutcome } from './post-webhook';

/** The failure type of an attempt to retry; its message names the status or the error class. */
export const WEBHOOK_ATTEMPT_FAILED = 'WebhookAttemptFailed';

/** The wait before attempt `attempt + 1` under the workflow's retry policy (no jitter). */
export function retryDelayMs(initialMs: number, attempt: number): number {
  return Math.min(initialMs * 2 ** (attempt - 1), WEBHOOK_MAX_RETRY_INTERVAL_MS);
}

/** Retry-After in seconds or as a date, bounded by the longest retry interval. */
function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, WEBHOOK_MAX_RETRY_INTERVAL_MS) : undefined;
}

export function createWebhookActivities(deps: {
  store?: TenantStore;
  now: () => number;
  logger: Logger;
  /** KEEL_WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
}) {
  return {
    /**
     * One attempt of a delivery: reads the endpoint as it is now (its secrets, whether it is still
     * on), signs the event, posts it, and logs the attempt in the delivery. Returns when the
     * delivery is over (2xx: delivered; 410 Gone: failed and the endpoint switched off; a refused
     * destination: failed; the endpoint off or deleted: abandoned); throws for any other outcome
     * so that Temporal retries it on the workflow's schedule.
     */
    async attemptWebhookDelivery(args: DeliverWebhookArgs): Promise<{ state: DeliveryState }> {
      const store = deps.store;
      if (!store)
        throw ApplicationFailure.nonRetryable('webhooks need the tenant store', 'NoStore');
      const ctx = await store.webhooks.attemptContext(args.deliveryId);
      if (!ctx) return { state: 'abandoned' }; // deleted with its endpoint
      const { delivery, endpoint, event } = ctx;
      if (delivery.state !== 'pending') return { state: delivery.state };
      if (!endpoint?.enabled || !event) {
        await store.webhooks.finishDelivery(delivery.id, 'abandoned');
        return { state: 'abandoned' };
      }
      const now = deps.now();
      const body = JSON.stringify({
        type: event.type,
        timestamp: new Date(event.at).toISOString(),
        data: event.data,
      });
      const msg = { id: webhookMessageId(event.id), timestampS: Math.floor(now / 1000), body };
      const outcome = await postWebhook({
        url: new URL(endpoint.url),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Keel-Webhooks/1',
          'webhook-id': msg.id,
          'webhook-timestamp': String(msg.timestampS),
          'webhook-signature': signatureHeader(activeSecrets(endpoint, now), msg),
        },
        body,
        timeoutMs: WEBHOOK_ATTEMPT_TIMEOUT_MS,
        allowPrivate: deps.allowPrivate,
        refuseLiteral: isPrivateAddress,
      });
      const at = deps.now();
      const status = outcome.kind === 'status' ? outcome.status : null;
      const log = {
        endpoint: endpoint.id,
        delivery: delivery.id,
        eventId: event.id,
        attempt: delivery.attempts + 1,
        status,
      };
      const end = async (state: DeliveryState, error: string | null) => {
        await store.webhooks.recordAttempt(delivery.id, {
          at,
          state,
          status,
          error,
          nextAttemptAt: null,
        });
        deps.logger.info({ ...log, state, error }, 'webhook delivery over');
        return { state };
      };
      if (status !== null && status >= 200 && status < 300) return end('delivered', null);
      if (status === 410) {
        // The receiver says this endpoint is gone for good: stop sending to it at all.
        await store.webhooks.updateEndpoint(
          endpoint.id,
          { enabled: false, disabledReason: 'gone' },
          at,
        );
        return end('failed', 'gone');
      }
      if (outcome.kind === 'error' && outcome.error === 'url-refused')
        return end('failed', 'url-refused');
      return retry(store, outcome, {
        at,
        deliveryId: delivery.id,
        initialMs: args.initialIntervalMs,
        log,
      });
    },

    /** Ends a delivery whose attempts ran out (the retry window passed). */
    async finishWebhookDelivery(args: { deliveryId: string; state: DeliveryState }): Promise<void> {
      await deps.store?.webhooks.finishDelivery(args.deliveryId, args.state);
    },
  };

  async function retry(
    store: TenantStore,
    outcome: PostOutcome,
    a: { at: number; deliveryId: string; initialMs: number; log: Record<string, unknown> },
  ): Promise<never> {
    const attempt = Context.current().info.attempt;
    const status = outcome.kind === 'status' ? outcome.status : null;
    const error = outcome.kind === 'status' ? 'http-status' : outcome.error;
    const asked =
      outcome.kind === 'status' && (status === 429 || status === 503)
        ? retryAfterMs(outcome.retryAfter, a.at)
        : undefined;
    const delay = asked ?? retryDelayMs(a.initialMs, attempt);
    await store.webhooks.recordAttempt(a.deliveryId, {
      at: a.at,
      state: 'pending',
      status,
      error,
      nextAttemptAt: a.at + delay,
    });
    deps.logger.info({ ...a.log, error, retryInMs: delay }, 'webhook attempt failed');
    throw ApplicationFailure.create({
      message: `webhook attempt failed: ${status ?? error}`,
      type: WEBHOOK_ATTEMPT_FAILED,
      ...(asked !== undefined ? { nextRetryDelay: asked } : {}),
    });
  }
}
