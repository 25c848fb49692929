import { describe, expect, it } from 'vitest';
import { jobAborts } from '../../shared/platform/job-aborts';

describe('jobAborts', () => {
  it('aborts every running call of the job and no other job’s', () => {
    const a1 = jobAborts.register('job-a');
    const a2 = jobAborts.register('job-a');
    const b = jobAborts.register('job-b');
    expect(jobAborts.abort('job-a')).toBe(2);
    expect([a1.cancelled, a2.cancelled, b.cancelled]).toEqual([true, true, false]);
    expect(a1.signal.reason).toBeInstanceOf(Error);
    for (const call of [a1, a2, b]) call.release();
    expect(jobAborts.size()).toBe(0);
  });

  it('forgets a released call: a later cancel finds nothing to abort', () => {
    const call = jobAborts.register('job-c');
    call.release();
    expect(jobAborts.abort('job-c')).toBe(0);
    expect(call.cancelled).toBe(false);
  });
});
