import { describe, expect, it } from 'vitest';
import {
  PlanDefinition,
  retentionDaysOf,
  SHIPPED_PLANS,
  TenantOverrides,
} from '../../shared/tenancy/plans';

/** A tenant's retention period: its override, else its plan's; bounds checked by the schemas. */
describe('retentionDaysOf', () => {
  it('takes the override over the plan; null means none; neither means none', () => {
    expect(retentionDaysOf({ retentionDays: 30 }, {})).toBe(30);
    expect(retentionDaysOf({ retentionDays: 30 }, { retentionDays: 7 })).toBe(7);
    expect(retentionDaysOf({ retentionDays: 30 }, { retentionDays: null })).toBeNull();
    expect(retentionDaysOf({}, {})).toBeNull();
    expect(retentionDaysOf(undefined, { retentionDays: 2 })).toBe(2);
    // No shipped plan has a period: nothing is pruned unless an operator sets one.
    expect(SHIPPED_PLANS.map((p) => retentionDaysOf(p, {}))).toEqual(SHIPPED_PLANS.map(() => null));
  });

  it('accepts whole days from 1 to 3650 only', () => {
    for (const ok of [1, 365, 3650])
      expect(TenantOverrides.safeParse({ retentionDays: ok }).success).toBe(true);
    for (const bad of [0, -1, 3651, 1.5, '30'])
      expect(TenantOverrides.safeParse({ retentionDays: bad }).success).toBe(false);
    expect(PlanDefinition.safeParse({ id: 'p', name: 'P', retentionDays: null }).success).toBe(
      false,
    );
  });
});
