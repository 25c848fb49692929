import { describe, expect, it } from 'vitest';
import { callModeOf, LOCAL_CALL_LIMIT_MS } from '../../workflows/pipeline/call';

describe('callModeOf: where a candidate’s model call runs', () => {
  const history = { newPath: true, vendorCallsLocal: true };

  it('runs the in-process model locally on new histories and as an activity on the oldest', () => {
    expect(callModeOf({ ...history, inProcess: true, timeoutMs: 60_000 })).toBe('local');
    expect(
      callModeOf({ inProcess: true, timeoutMs: 1_000, newPath: false, vendorCallsLocal: false }),
    ).toBe('activity');
  });

  it('runs an external call locally first while its timeout fits a workflow task', () => {
    expect(callModeOf({ ...history, inProcess: false, timeoutMs: 7_500 })).toBe(
      'local-then-activity',
    );
    expect(callModeOf({ ...history, inProcess: false, timeoutMs: LOCAL_CALL_LIMIT_MS })).toBe(
      'local-then-activity',
    );
  });

  it('keeps a long external call, and every call of a history before the patch, an activity', () => {
    expect(callModeOf({ ...history, inProcess: false, timeoutMs: LOCAL_CALL_LIMIT_MS + 1 })).toBe(
      'activity',
    );
    expect(
      callModeOf({ inProcess: false, timeoutMs: 1_000, newPath: true, vendorCallsLocal: false }),
    ).toBe('activity');
  });
});
