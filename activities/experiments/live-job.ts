import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { RunTaskRequest, RunTaskResult } from '../../shared/contracts/job';

/**
 * A finished live job, loaded by its id for the work that follows it on the background queue
 * (shadow tests, sampled evaluation): its answer from its result (waiting for the job to close:
 * it has recorded its answer, so that is at once) and its request from its start event, decoded
 * with the client's converter (payload codec, claim check). Nothing is copied into the caller's
 * history.
 */
export async function liveResult(client: Client, jobId: string): Promise<RunTaskResult> {
  return (await client.workflow.getHandle(jobId).result()) as RunTaskResult;
}

export async function liveRequest(client: Client, jobId: string): Promise<RunTaskRequest> {
  const history = await client.workflow.getHandle(jobId).fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  return decodeFromPayloadsAtIndex<RunTaskRequest>(client.options.loadedDataConverter, 0, payloads);
}
