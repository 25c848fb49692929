import type { Client } from '@temporalio/client';
import {
  reviewQueueSignal,
  reviewQueueWorkflowId,
  type ReviewQueueEvent,
  type ReviewQueueWorkflow,
} from '../contracts/messages';
import type { Logger } from './logger';

/** Tells a tenant's review queue entity that a review opened or closed (signal-with-start). */
export class ReviewQueue {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly logger: Logger,
  ) {}

  async publish(tenantId: string, event: ReviewQueueEvent): Promise<void> {
    await this.client.workflow.signalWithStart<ReviewQueueWorkflow, [ReviewQueueEvent]>(
      'reviewQueue',
      {
        workflowId: reviewQueueWorkflowId(this.taskQueue, tenantId),
        taskQueue: this.taskQueue,
        args: [{}],
        signal: reviewQueueSignal,
        signalArgs: [event],
      },
    );
    this.logger.debug({ tenant: tenantId, op: event.op }, 'review queue updated');
  }
}
