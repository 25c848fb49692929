import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { DeliverWebhookArgs } from '../contracts/webhooks';

/** The delivery workflow's registered name (workflows/deliver-webhook.ts). */
export const DELIVER_WEBHOOK_WORKFLOW = 'deliverWebhook';

/**
 * Starts a delivery workflow under its deterministic id. A second start of the same id (the
 * event told twice, or an activity retried after its sink had started it) is no error: that
 * delivery is under way or done already, and the answer says so.
 */
export async function startWebhookDelivery(
  client: Client,
  opts: { taskQueue: string; workflowId: string; args: DeliverWebhookArgs },
): Promise<'started' | 'already-started'> {
  try {
    await client.workflow.start(DELIVER_WEBHOOK_WORKFLOW, {
      taskQueue: opts.taskQueue,
      workflowId: opts.workflowId,
      args: [opts.args],
      // Never a second run under the same id, even after the first one closed.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
    throw err;
  }
}
