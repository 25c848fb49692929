import { isCancellation } from '@temporalio/workflow';
import type { CallModelArgs, CallModelResult, InputScreening, TaskPlan } from '../../activities';
import type { Issue, ValidationMeta } from '../../shared/contracts/job';
import type { VerifierPolicy } from '../../shared/policy/verifier';
import { describeFailure } from '../failure-info';
import { callCandidate, callModeOf } from './call';
import { readVerifierVerdict } from './proxies';
import type { Job } from './job';
import { accountFailure, countInterrupted, note, type Tally } from './tally';

/**
 * Patch: the verifier layer runs after the other layers pass. Asked only by runs whose policy
 * names a verifier: every other history keeps its shape and markers.
 */
export const VERIFIER_PATCH = 'verifier-v1';

/** The internal task `callModel` renders (VERIFY_ANSWER_TASK), and its prompt version. */
const VERIFY_TASK = 'verify-answer';
export const VERIFY_PROMPT_VERSION = 'verify-answer@1';

export type VerifierMeta = NonNullable<ValidationMeta['verifier']>;

/** The layer's outcome: its meta, and the issues when the answer fails it. */
export interface VerifierOutcome {
  meta: VerifierMeta;
  failed?: Issue[];
}

/** The verifier the policy names, if this candidate's answers are to be verified. */
export function verifierFor(plan: TaskPlan, inProcess: boolean): VerifierPolicy | undefined {
  // The in-process model is the deterministic last resort: nothing to gain from a second opinion.
  return inProcess ? undefined : plan.policy.validation?.verifier;
}

/**
 * The verifier layer: the input as external models saw it (redacted) and the answer go to each
 * candidate of the policy's route in turn, through `callModel` (breaker, budget, usage ledger),
 * until one answers a readable verdict. A score below `minScore` fails the layer; no verdict at
 * all takes the policy's `failure` (`open` passes, `closed` fails). The calls' cost and tokens
 * join the job's meta like any call's.
 */
export async function verifyAnswer(
  ctx: { plan: TaskPlan; screening: InputScreening; job: Job; tally: Tally },
  verifier: VerifierPolicy,
  answer: unknown,
  /** Who pays (`billingOf` with the verifier's prompt version), when the job has a tenancy. */
  billing?: CallModelArgs['billing'],
): Promise<VerifierOutcome> {
  const { plan, screening, job, tally } = ctx;
  const problems: string[] = [];
  const spent = { costUsd: 0 };
  const account = (err: unknown): void => {
    spent.costUsd += accountFailure(tally, err);
  };
  for (const ref of verifier.route) {
    if (verifier.maxCostUsd !== undefined && spent.costUsd >= verifier.maxCostUsd) {
      problems.push(`verifier cost cap ${verifier.maxCostUsd} USD reached`);
      break;
    }
    const at = ref.indexOf(':');
    let call: CallModelResult;
    try {
      call = await callCandidate(
        {
          task: VERIFY_TASK,
          input: { input: screening.redactedInput ?? plan.input, answer },
          provider: ref.slice(0, at),
          model: ref.slice(at + 1),
          timeoutMs: verifier.timeoutMs,
          maxRetryDelayMs: plan.retryAfterBudgetMs,
          ...(billing ? { billing } : {}),
        },
        {
          mode: callModeOf({
            inProcess: false,
            timeoutMs: verifier.timeoutMs,
            newPath: job.newPath,
            vendorCallsLocal: job.vendorCallsLocal,
          }),
          timeoutMs: verifier.timeoutMs,
          onRetried: account,
        },
      );
    } catch (err) {
      if (isCancellation(err)) throw err;
      account(err);
      problems.push(`${ref} ${describeFailure(err)}`);
      job.step({ name: 'verify', outcome: 'failed', detail: problems.at(-1) });
      continue;
    }
    tally.attempts += call.attempt;
    tally.usage.providerMs += call.providerMs;
    tally.bill(call.usage, call.costUsd);
    spent.costUsd += call.costUsd;
    countInterrupted(tally, call.interrupted);
    const reading = await readVerifierVerdict({
      ...(call.output !== undefined ? { output: call.output } : { text: call.text ?? '' }),
      minScore: verifier.minScore,
    });
    if ('problem' in reading) {
      problems.push(`${ref} ${reading.problem}`);
      job.step({ name: 'verify', outcome: 'failed', detail: problems.at(-1) });
      continue;
    }
    const meta: VerifierMeta = {
      score: reading.score,
      passed: reading.passed,
      model: ref,
      costUsd: round(spent.costUsd),
      ...(reading.unsupported.length ? { unsupported: reading.unsupported } : {}),
    };
    job.step({
      name: 'verify',
      outcome: reading.passed ? 'ok' : 'failed',
      detail: `${ref}: faithfulness ${reading.score} (min ${verifier.minScore})`,
    });
    if (reading.passed) return { meta };
    const claims = reading.unsupported.length ? `: ${reading.unsupported.join('; ')}` : '';
    return {
      meta,
      failed: [
        {
          field: '(output)',
          rule: 'verifier',
          message: `the verifier (${ref}) scored its faithfulness to the input ${reading.score}, below ${verifier.minScore}${claims}`,
        },
      ],
    };
  }
  return noVerdict(verifier, tally, spent.costUsd, problems.join('; '));
}

/** No candidate gave a verdict: the policy's `failure`. */
function noVerdict(
  verifier: VerifierPolicy,
  tally: Tally,
  costUsd: number,
  why: string,
): VerifierOutcome {
  const meta: VerifierMeta = {
    passed: verifier.failure === 'open',
    model: verifier.route.join(','),
    costUsd: round(costUsd),
  };
  if (verifier.failure === 'open') {
    note(tally, null, `verifier gave no verdict, failed open: ${why}`);
    return { meta: { ...meta, failedOpen: true } };
  }
  return {
    meta,
    failed: [
      {
        field: '(output)',
        rule: 'verifier',
        message: `the verifier gave no verdict and the policy fails closed (${why})`,
      },
    ],
  };
}

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;
