import type { Client } from '@temporalio/client';
import { jobAborts } from './job-aborts';

/** How long a local vendor call runs before it also watches for its job's cancellation. */
export const CANCEL_WATCH_AFTER_MS = 500;
/** How often it then asks. */
export const CANCEL_WATCH_EVERY_MS = 500;

/**
 * Hears a job's cancellation while one of its vendor calls runs here as a local activity, in a
 * process the cancel request did not reach (a separate worker, another API replica's worker).
 *
 * A local activity hears of the workflow's cancellation only at its workflow task's next heartbeat
 * (8 s; shared/platform/job-aborts.ts), and the request is not in the history before that either
 * (an event that arrives during a workflow task waits in the server's buffer). The server marks
 * the run at once, though: `DescribeWorkflowExecution` answers `cancelRequested`. So once the
 * call has run `afterMs`, this asks every `everyMs` (a call that ends sooner costs nothing) and,
 * when the request shows, aborts the job's calls in this process as the API does in its own.
 * Returns the stop (call it when the call has ended); a failed describe is asked again.
 */
export function watchCancelRequest(args: {
  client: Client;
  namespace: string;
  jobId: string;
  afterMs?: number;
  everyMs?: number;
}): () => void {
  const { client, namespace, jobId } = args;
  let stopped = false;
  // One signal per ask (a listener is added to it per call): the stop aborts the one in flight.
  let asking: AbortController | undefined;
  const ask = async (): Promise<void> => {
    asking = new AbortController();
    const described = await client.connection.withAbortSignal(asking.signal, () =>
      client.workflowService.describeWorkflowExecution({
        namespace,
        execution: { workflowId: jobId },
      }),
    );
    if (described.workflowExtendedInfo?.cancelRequested) jobAborts.abort(jobId);
  };
  let timer: NodeJS.Timeout = setTimeout(function next() {
    void ask()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(next, args.everyMs ?? CANCEL_WATCH_EVERY_MS);
      });
  }, args.afterMs ?? CANCEL_WATCH_AFTER_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
    asking?.abort();
  };
}
