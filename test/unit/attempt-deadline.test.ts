import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_MARGIN_MS,
  attemptDeadline,
  deadlineFailure,
} from '../../activities/models/attempt-deadline';

/** The attempt's deadline rule: min(start + timeoutMs, deadlineAt, start + startToClose − margin). */
describe('attemptDeadline', () => {
  const base = { startedAt: 1_000, startToCloseMs: 10_000 };

  it("the candidate's timeoutMs when it is the earliest", () => {
    expect(attemptDeadline({ ...base, timeoutMs: 3_000, deadlineAt: 9_000 })).toEqual({
      at: 4_000,
      ms: 3_000,
      byBudget: false,
    });
  });

  it("the task's deadlineAt when it comes first, marked as the budget's", () => {
    expect(attemptDeadline({ ...base, timeoutMs: 3_000, deadlineAt: 2_500 })).toEqual({
      at: 2_500,
      ms: 1_500,
      byBudget: true,
    });
  });

  it('without either, the activity startToClose less a margin, so Keel classifies the timeout', () => {
    expect(attemptDeadline(base).ms).toBe(10_000 - ACTIVITY_MARGIN_MS);
    expect(attemptDeadline({ ...base, timeoutMs: 60_000 }).ms).toBe(10_000 - ACTIVITY_MARGIN_MS);
  });

  it("a deadlineAt already passed is ignored: the sync caller has its 202, the candidate's timeout applies", () => {
    expect(attemptDeadline({ ...base, timeoutMs: 3_000, deadlineAt: 500 })).toEqual({
      at: 4_000,
      ms: 3_000,
      byBudget: false,
    });
  });
});

describe('deadlineFailure', () => {
  const ctx = { provider: 'openai', model: 'm', attempt: 1, called: true };

  it('is a retryable Timeout for the candidate timeout, a final one for the budget', () => {
    const own = deadlineFailure({ at: 0, ms: 700, byBudget: false }, ctx);
    expect(own).toMatchObject({ type: 'Timeout', nonRetryable: false });
    expect(own.nextRetryDelay).toBeGreaterThan(0);
    const budget = deadlineFailure({ at: 0, ms: 700, byBudget: true }, ctx);
    expect(budget).toMatchObject({
      type: 'Timeout',
      nonRetryable: true,
      nextRetryDelay: undefined,
    });
    expect(budget.details).toEqual([{ provider: 'openai', model: 'm' }]);
  });
});
