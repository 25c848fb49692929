/**
 * The vendor calls running in this process, by job id, so that a cancel reaches them at once.
 *
 * A job's first vendor call runs as a local activity (workflows/pipeline/call.ts), and a local
 * activity hears of the workflow's cancellation only at the workflow task's next heartbeat,
 * 8 s after it began (80 % of the 10 s workflow task timeout). `POST /v1/jobs/{id}/cancel`
 * requests the workflow's cancellation and then aborts the job's calls registered here: in the
 * default deployment (the worker inside the API process) the upstream sees the connection close
 * at once. The aborted attempt fails as a retryable `CallCancelled`; the workflow's pause before
 * the retry ends its workflow task, and the cancellation it then receives ends the job.
 * A call in another process (a separate worker, another API replica) is not here: that process
 * learns of the cancel from Temporal (shared/platform/cancel-watch.ts) and aborts it here.
 */
export interface JobCall {
  /** Aborted when the job's cancel was requested in this process. */
  readonly signal: AbortSignal;
  /** Whether the abort came from a cancel (not from the call's own deadline). */
  readonly cancelled: boolean;
  /** Unregisters the call (always, in a `finally`). */
  release(): void;
}

const running = new Map<string, Set<AbortController>>();

export const jobAborts = {
  /** Registers a call of `jobId` until `release()`. */
  register(jobId: string): JobCall {
    const controller = new AbortController();
    let calls = running.get(jobId);
    if (!calls) running.set(jobId, (calls = new Set()));
    calls.add(controller);
    return {
      signal: controller.signal,
      get cancelled() {
        return controller.signal.aborted;
      },
      release() {
        calls.delete(controller);
        if (calls.size === 0 && running.get(jobId) === calls) running.delete(jobId);
      },
    };
  },

  /** Aborts every call of `jobId` running in this process; how many there were. */
  abort(jobId: string): number {
    const calls = running.get(jobId);
    if (!calls) return 0;
    for (const controller of calls) controller.abort(new Error('the job was cancelled'));
    return calls.size;
  },

  /** Calls registered now (tests, `/readyz` debugging). */
  size(): number {
    let n = 0;
    for (const calls of running.values()) n += calls.size;
    return n;
  },
};
