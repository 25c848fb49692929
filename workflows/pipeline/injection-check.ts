import { isCancellation } from '@temporalio/workflow';
import type {
  CallModelResult,
  InjectionVerdictReading,
  InputScreening,
  TaskPlan,
} from '../../activities';
import type { RunTaskRequest } from '../../shared/contracts/job';
import type { InjectionModelCheck } from '../../shared/policy/resolve-policy';
import { describeFailure } from '../failure-info';
import { billingOf } from './attempt';
import { callCandidate, callModeOf } from './call';
import type { Job } from './job';
import { readInjectionVerdict } from './proxies';
import { accountFailure, countInterrupted, note, type Tally } from './tally';

/**
 * Patch: the model-based injection check runs after the screening. Asked only by runs whose
 * policy names the check (and whose rules did not already flag the input): every other history
 * keeps its shape and markers.
 */
export const INJECTION_MODEL_CHECK = 'injection-model-check-v1';

/** The internal task `callModel` renders (INJECTION_CHECK_TASK), and its prompt version. */
const CHECK_TASK = 'injection-check';
const CHECK_PROMPT_VERSION = 'injection-check@1';

/** Whether the policy asks a model's verdict on this input: named, scanned, not already flagged. */
export function wantsModelCheck(plan: TaskPlan, screening: InputScreening): boolean {
  return (
    plan.policy.moderation.injection?.model !== undefined &&
    plan.policy.moderation.input.injection !== 'allow' &&
    !screening.blocked &&
    screening.report.injection.action === 'none'
  );
}

/**
 * The model-based injection check: the input as external models see it (redacted) goes to each
 * candidate of the policy's route in turn, through `callModel` (breaker, budget, usage ledger),
 * until one answers a readable verdict. A verdict of injection takes the policy's injection
 * action (block, flag, review); no verdict at all takes its `onFailure` (`closed` refuses the
 * input, `open` lets it through with a reason). The calls' cost and tokens join the job's meta.
 */
export async function checkInjectionWithModel(ctx: {
  request: RunTaskRequest;
  plan: TaskPlan;
  screening: InputScreening;
  job: Job;
  tally: Tally;
}): Promise<InputScreening> {
  const { request, plan, screening, job, tally } = ctx;
  const check = plan.policy.moderation.injection!.model!;
  const problems: string[] = [];
  for (const ref of check.route) {
    const at = ref.indexOf(':');
    let call: CallModelResult;
    try {
      call = await callCandidate(
        {
          task: CHECK_TASK,
          input: screening.redactedInput ?? plan.input,
          provider: ref.slice(0, at),
          model: ref.slice(at + 1),
          timeoutMs: check.timeoutMs,
          maxRetryDelayMs: plan.retryAfterBudgetMs,
          ...(request.tenancy ? { billing: billingOf(request, CHECK_PROMPT_VERSION) } : {}),
        },
        {
          mode: callModeOf({
            inProcess: false,
            timeoutMs: check.timeoutMs,
            newPath: job.newPath,
            vendorCallsLocal: job.vendorCallsLocal,
          }),
          timeoutMs: check.timeoutMs,
          onRetried: (err) => accountFailure(tally, err),
        },
      );
    } catch (err) {
      if (isCancellation(err)) throw err;
      accountFailure(tally, err);
      problems.push(`${ref} ${describeFailure(err)}`);
      job.step({ name: 'injection-check', outcome: 'failed', detail: problems.at(-1) });
      continue;
    }
    tally.attempts += call.attempt;
    tally.usage.providerMs += call.providerMs;
    tally.bill(call.usage, call.costUsd);
    countInterrupted(tally, call.interrupted);
    const reading = await readInjectionVerdict({
      ...(call.output !== undefined ? { output: call.output } : { text: call.text ?? '' }),
      threshold: check.threshold,
    });
    if ('problem' in reading) {
      problems.push(`${ref} ${reading.problem}`);
      job.step({ name: 'injection-check', outcome: 'failed', detail: problems.at(-1) });
      continue;
    }
    const said = reading.injection ? 'injection' : 'no injection';
    job.step({
      name: 'injection-check',
      outcome: 'ok',
      detail: `${ref}: ${said} (confidence ${reading.confidence})`,
    });
    return reading.injection ? judged(plan, screening, ref, reading) : screening;
  }
  return noVerdict(check, screening, tally, problems.join('; '));
}

/** A verdict of injection, under the policy's injection action. */
function judged(
  plan: TaskPlan,
  screening: InputScreening,
  ref: string,
  reading: Extract<InjectionVerdictReading, { injection: boolean }>,
): InputScreening {
  const action = plan.policy.moderation.input.injection;
  const kinds = ['model-check'];
  const report = {
    ...screening.report,
    injection: {
      ...screening.report.injection,
      action: action === 'block' ? ('blocked' as const) : ('flagged' as const),
      kinds,
    },
  };
  if (action === 'block') {
    const seen = reading.kinds.length ? `: ${reading.kinds.join(', ')}` : '';
    return {
      ...screening,
      report,
      blocked: {
        check: 'injection',
        errors: [
          {
            field: 'input',
            message: `looks like a prompt-injection attempt (model-check ${ref}${seen})`,
          },
        ],
      },
    };
  }
  const review =
    action === 'review'
      ? {
          review: [...(screening.review ?? []), 'possible prompt injection (model check) in input'],
        }
      : {};
  return { ...screening, report, ...review };
}

/** No candidate gave a verdict: the policy's `onFailure`. */
function noVerdict(
  check: InjectionModelCheck,
  screening: InputScreening,
  tally: Tally,
  why: string,
): InputScreening {
  if (check.onFailure === 'open') {
    note(tally, null, `injection model check gave no verdict, failed open: ${why}`);
    return screening;
  }
  return {
    ...screening,
    report: {
      ...screening.report,
      injection: { ...screening.report.injection, action: 'blocked', kinds: ['model-check'] },
    },
    blocked: {
      check: 'injection',
      errors: [
        {
          field: 'input',
          message: `the injection model check gave no verdict and the policy fails closed (${why})`,
        },
      ],
    },
  };
}
