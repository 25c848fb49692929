import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliverWebhookArgs } from '../shared/contracts/webhooks';

/**
 * The retry schedule of a delivery: the first retry after `initialIntervalMs`
 * (KEEL_WEBHOOK_RETRY_INITIAL_MS, 5 s by default), each next one twice as long up to an hour,
 * until 24 h have passed (WEBHOOK_RETRY_WINDOW_MS). One attempt's HTTP request is bounded to 10 s
 * in the activity; the activity's own timeout leaves room for its database writes.
 */
const RETRY_WINDOW = '24 hours';
const MAX_RETRY_INTERVAL = '1 hour';
const ATTEMPT_TIMEOUT = '30 seconds';

const { finishWebhookDelivery } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumInterval: '1 minute' },
});

/**
 * One event to one endpoint (the workflow id says which: `keel-webhook-<endpoint>-<event>`).
 * Temporal owns the retries: the attempt activity throws to be retried and returns when the
 * delivery is over; when the window closes first, the delivery is marked failed.
 */
export async function deliverWebhook(args: DeliverWebhookArgs): Promise<string> {
  const { attemptWebhookDelivery } = proxyActivities<Activities>({
    startToCloseTimeout: ATTEMPT_TIMEOUT,
    scheduleToCloseTimeout: RETRY_WINDOW,
    retry: {
      initialInterval: args.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: MAX_RETRY_INTERVAL,
    },
  });
  try {
    return (await attemptWebhookDelivery(args)).state;
  } catch (err) {
    if (isCancellation(err)) throw err;
    await finishWebhookDelivery({ deliveryId: args.deliveryId, state: 'failed' });
    return 'failed';
  }
}
