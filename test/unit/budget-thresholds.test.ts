import { describe, expect, it } from 'vitest';
import { crossedThresholds } from '../../shared/tenancy/plans';

describe('crossedThresholds', () => {
  it('names each share of the budget a spend passes, once', () => {
    expect(crossedThresholds(0, 79, 100)).toEqual([]);
    expect(crossedThresholds(79, 80, 100)).toEqual([0.8]);
    expect(crossedThresholds(80, 90, 100)).toEqual([]);
    expect(crossedThresholds(90, 100, 100)).toEqual([1]);
    expect(crossedThresholds(50, 150, 100)).toEqual([0.8, 1]);
    expect(crossedThresholds(100, 120, 100)).toEqual([]);
  });
});
