import type { CallModelResult } from '../../activities';
import type { ValidationMeta } from '../../shared/contracts/job';

/** What the route has cost and said so far: it becomes the result's meta. */
export interface Tally {
  /** Why the answer is not the first candidate's (each failure, skip and downgrade). */
  reasons: string[];
  /** Every rejected answer with its layer, issues and the action taken. */
  rejected: ValidationMeta['rejected'];
  /** Candidates (`provider:model`) that refused to answer (a content filter, a refusal). */
  refused: string[];
  /** Model calls across candidates and retries. */
  attempts: number;
  /** A call was not made: it could have passed the tenant's monthly budget. */
  overBudget: boolean;
  usage: {
    input: number;
    output: number;
    cachedInput: number;
    costUsd: number;
    providerMs: number;
  };
  /** Calls cut off mid-call (a worker died) that a retry charged at their worst case. */
  interrupted: { calls: number; costUsd: number };
  bill: (u: CallModelResult['usage'], cost: number) => void;
}

export function openTally(): Tally {
  const tally: Tally = {
    reasons: [],
    rejected: [],
    refused: [],
    attempts: 0,
    overBudget: false,
    usage: { input: 0, output: 0, cachedInput: 0, costUsd: 0, providerMs: 0 },
    interrupted: { calls: 0, costUsd: 0 },
    bill: (u, cost) => {
      tally.usage.input += u.inputTokens;
      tally.usage.output += u.outputTokens;
      tally.usage.cachedInput += u.cachedInputTokens;
      tally.usage.costUsd += cost;
    },
  };
  return tally;
}
