import type { Client } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchCancelRequest } from '../../shared/platform/cancel-watch';
import { jobAborts } from '../../shared/platform/job-aborts';

/** A client whose describe answers `cancelRequested` from the given list, one per ask. */
function describing(answers: boolean[]) {
  const asked: string[] = [];
  const client = {
    connection: { withAbortSignal: (_signal: AbortSignal, fn: () => unknown) => fn() },
    workflowService: {
      describeWorkflowExecution: (req: { execution: { workflowId: string } }) => {
        asked.push(req.execution.workflowId);
        return Promise.resolve({
          workflowExtendedInfo: { cancelRequested: answers.shift() ?? false },
        });
      },
    },
  } as unknown as Client;
  return { client, asked };
}

describe('watchCancelRequest (a cancel reaching a call in another process)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks nothing for a call that ends before afterMs', async () => {
    const { client, asked } = describing([true]);
    const stop = watchCancelRequest({ client, namespace: 'default', jobId: 'job-fast' });
    await vi.advanceTimersByTimeAsync(499);
    stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(asked).toEqual([]);
  });

  it('asks every everyMs after afterMs and aborts the job’s calls here once a cancel is requested', async () => {
    const call = jobAborts.register('job-long');
    const other = jobAborts.register('job-other');
    const { client, asked } = describing([false, false, true]);
    const stop = watchCancelRequest({ client, namespace: 'default', jobId: 'job-long' });
    await vi.advanceTimersByTimeAsync(500);
    expect(asked).toEqual(['job-long']);
    expect(call.cancelled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(asked).toHaveLength(3);
    expect(call.cancelled).toBe(true);
    expect(other.cancelled).toBe(false);
    stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(asked).toHaveLength(3);
    call.release();
    other.release();
  });

  it('keeps asking after a failed describe', async () => {
    const call = jobAborts.register('job-flaky');
    let n = 0;
    const client = {
      connection: { withAbortSignal: (_s: AbortSignal, fn: () => unknown) => fn() },
      workflowService: {
        describeWorkflowExecution: () =>
          ++n === 1
            ? Promise.reject(new Error('unavailable'))
            : Promise.resolve({ workflowExtendedInfo: { cancelRequested: true } }),
      },
    } as unknown as Client;
    const stop = watchCancelRequest({ client, namespace: 'default', jobId: 'job-flaky' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(n).toBe(2);
    expect(call.cancelled).toBe(true);
    stop();
    call.release();
  });
});
