import type { CallModelResult } from '../../activities';
import type { ValidationMeta } from '../../shared/contracts/job';
import type { RouteReason } from '../../shared/contracts/route-reasons';
import { attemptsOf, billedUsageOf, interruptedOf, providerMsOf } from '../failure-info';

/** What the route has cost and said so far: it becomes the result's meta. */
export interface Tally {
  /** Why the answer is not the first candidate's (each failure, skip and downgrade). */
  reasons: string[];
  /** One per line of `reasons`: its route reason, null for a line that is none. Add with `note`. */
  reasonCodes: (RouteReason | null)[];
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
    reasonCodes: [],
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

/**
 * One line of the result's `meta.reasons` and its route reason (null: the line is none), decided
 * here where the line is written so that metrics never read the wording. Returns the line.
 */
export function note(tally: Tally, code: RouteReason | null, line: string): string {
  tally.reasons.push(line);
  tally.reasonCodes.push(code);
  return line;
}

/**
 * A failed call's attempts, time and any usage the vendor billed, into the job's tally. Returns
 * what the vendor billed (USD), for a check that caps its own spending.
 */
export function accountFailure(tally: Tally, err: unknown): number {
  tally.attempts += attemptsOf(err);
  tally.usage.providerMs += providerMsOf(err);
  const billed = billedUsageOf(err);
  if (billed) tally.bill(billed.usage, billed.costUsd);
  countInterrupted(tally, interruptedOf(err));
  return billed?.costUsd ?? 0;
}

/** Calls cut off mid-call that a retry charged at their worst case. */
export function countInterrupted(tally: Tally, charge: CallModelResult['interrupted']): void {
  if (!charge) return;
  tally.interrupted.calls += charge.calls;
  tally.interrupted.costUsd += charge.costUsd;
}
