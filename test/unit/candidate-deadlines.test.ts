import { describe, expect, it } from 'vitest';
import { candidateDeadlines } from '../../workflows/pipeline/budget';

const candidate = (skip?: string) => ({
  provider: 'openai',
  model: 'm',
  timeoutMs: 7_500,
  ...(skip ? { skip } : {}),
});

describe('candidateDeadlines: the sync envelope divided between the candidates', () => {
  const plan = { admittedAt: 10_000, maxSyncMs: 8_000, candidates: [candidate(), candidate()] };

  it('gives each candidate but the last until its cumulative equal share', () => {
    const at = candidateDeadlines(plan, {});
    expect(at(0)).toBe(14_000);
    // The last runs on its own timeout: a caller whose wait ends first gets its 202.
    expect(at(1)).toBeUndefined();
    const three = candidateDeadlines(
      { ...plan, candidates: [candidate(), candidate(), candidate()] },
      {},
    );
    expect([three(0), three(1), three(2)]).toEqual([12_667, 15_333, undefined]);
  });

  it('shares only between candidates that will be called (an open circuit is skipped)', () => {
    const at = candidateDeadlines(
      { ...plan, candidates: [candidate('circuit open'), candidate(), candidate()] },
      {},
    );
    expect([at(0), at(1)]).toEqual([14_000, undefined]);
  });

  it("follows a caller's shorter maxSyncMs, never a longer one", () => {
    expect(candidateDeadlines(plan, { maxSyncMs: 2_000 })(0)).toBe(11_000);
    expect(candidateDeadlines(plan, { maxSyncMs: 60_000 })(0)).toBe(14_000);
  });

  it('sets no deadline for one candidate, an async caller, or a plan recorded before the budget', () => {
    expect(candidateDeadlines({ ...plan, candidates: [candidate()] }, {})(0)).toBeUndefined();
    expect(candidateDeadlines(plan, { maxSyncMs: 0 })(0)).toBeUndefined();
    expect(candidateDeadlines({ ...plan, maxSyncMs: undefined }, {})(0)).toBeUndefined();
  });
});
