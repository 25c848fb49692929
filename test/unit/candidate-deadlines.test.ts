import { describe, expect, it } from 'vitest';
import { candidateDeadlines, DEGRADE_RESERVE_MS } from '../../workflows/pipeline/budget';

const candidate = (skip?: string) => ({
  provider: 'openai',
  model: 'm',
  timeoutMs: 7_500,
  ...(skip ? { skip } : {}),
});

describe('candidateDeadlines: the sync envelope divided between the candidates', () => {
  const plan = {
    admittedAt: 10_000,
    maxSyncMs: 8_000,
    candidates: [candidate(), candidate()],
    degrade: [] as ('last-good' | 'fallback')[],
  };

  it('gives each called candidate until its cumulative equal share', () => {
    const at = candidateDeadlines(plan, {});
    expect([at(0), at(1)]).toEqual([14_000, 18_000]);
  });

  it('keeps a reserve for the downgrades, and skips open circuits when sharing', () => {
    const at = candidateDeadlines(
      {
        ...plan,
        candidates: [candidate('circuit open'), candidate(), candidate()],
        degrade: ['fallback'],
      },
      {},
    );
    const budget = 8_000 - DEGRADE_RESERVE_MS;
    expect([at(0), at(1)]).toEqual([10_000 + budget / 2, 10_000 + budget]);
  });

  it("follows a caller's shorter maxSyncMs, never a longer one", () => {
    expect(candidateDeadlines(plan, { maxSyncMs: 2_000 })(0)).toBe(11_000);
    expect(candidateDeadlines(plan, { maxSyncMs: 60_000 })(1)).toBe(18_000);
  });

  it('sets no deadline for an async caller or a plan recorded before the budget', () => {
    expect(candidateDeadlines(plan, { maxSyncMs: 0 })(0)).toBeUndefined();
    expect(candidateDeadlines({ ...plan, maxSyncMs: undefined }, {})(0)).toBeUndefined();
  });
});
