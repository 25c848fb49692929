import { describe, expect, it } from 'vitest';
import { fairnessKey, taskPriority } from '../../shared/platform/task-priority';

describe('taskPriority', () => {
  it.each([
    [5, 1],
    [4, 2],
    [3, 3],
    [2, 4],
    [1, 5],
  ])("maps plan priority %i (5 highest) to Temporal's priorityKey %i (1 highest)", (plan, key) => {
    const tenancy = { planId: 'p', priority: plan };
    expect(taskPriority({ tenantId: 'acme', tenancy })).toEqual({
      priorityKey: key,
      fairnessKey: 'acme',
    });
  });

  it("leaves Temporal's default priority when no plan applies, still fair by tenant", () => {
    expect(taskPriority({ tenantId: 'acme' })).toEqual({ fairnessKey: 'acme' });
  });

  it('keeps a fairness key within 64 bytes, distinct per tenant', () => {
    const long = 'é'.repeat(40);
    expect(Buffer.byteLength(fairnessKey(long))).toBeLessThanOrEqual(64);
    expect(fairnessKey(long)).not.toBe(fairnessKey(`${long}x`));
    expect(fairnessKey('a'.repeat(64))).toBe('a'.repeat(64));
  });
});
