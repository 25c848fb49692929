import { ApplicationFailure, isCancellation, patched } from '@temporalio/workflow';
import type {
  CallModelArgs,
  CallModelResult,
  InputScreening,
  TaskPlan,
  ValidationResult,
} from '../../activities';
import { CHAT_TASK_NAME } from '../../shared/contracts/chat';
import { FailureType } from '../../shared/contracts/errors';
import type { Issue, ResultPath, RunTaskRequest } from '../../shared/contracts/job';
import type { PlannedCandidate } from '../../shared/policy/routing';
import { describeFailure, failureCause, routeReasonOfError } from '../failure-info';
import { callCandidate, callModeOf } from './call';
import { validateOutput } from './proxies';
import type { Job } from './job';
import { accountFailure, countInterrupted, note, type Tally } from './tally';
import {
  VERIFIER_PATCH,
  VERIFY_PROMPT_VERSION,
  verifierFor,
  verifyAnswer,
  type VerifierMeta,
} from './verifier';

/** An answer the route produced, with where it came from. */
export interface Answer {
  output: unknown;
  provider: string;
  model: string;
  path: ResultPath;
  validation?: ValidationResult;
  lastGood?: { jobId: string; ageMs: number };
  /** Set when a validation layer's action is `review`: why a person must look. */
  review?: string[];
  /** Set when a policy names a verifier and it ran on this answer. */
  verifier?: VerifierMeta;
}

/** The layer an answer failed: one of `validateOutput`'s, or the verifier's. */
type FailedLayer = Omit<NonNullable<ValidationResult['failed']>, 'layer'> & {
  layer: NonNullable<ValidationResult['failed']>['layer'] | 'verifier';
};

/** What one candidate came to: an answer, or where to go next. */
export type Outcome =
  { answer: Answer } | { next: 'next' | 'degrade' | 'reject'; issues?: Issue[] };

export interface AttemptContext {
  request: RunTaskRequest;
  plan: TaskPlan;
  screening: InputScreening;
  job: Job;
  tally: Tally;
}

/** One candidate: the call (with its retries), validation, and at most one re-ask. */
export async function attemptCandidate(
  ctx: AttemptContext,
  candidate: PlannedCandidate,
  path: ResultPath,
  /** When this candidate's share of the sync envelope ends (`pipeline/budget.ts`). */
  deadlineAt?: number,
  /**
   * Set when this attempt is one side of a hedge: whether a model call is in flight now (a hedge
   * that cancels this attempt counts that call), and `stop` once the other side has won.
   */
  track?: { calling: boolean; stop?: boolean },
): Promise<Outcome> {
  const { request, plan, screening, job, tally } = ctx;
  const ref = `${candidate.provider}:${candidate.model}`;
  // Admission decides in-process from the provider's type. Plans recorded before it said so
  // only ever had the built-in under the name `local` (the config now refuses that name).
  const inProcess = candidate.inProcess ?? candidate.provider === 'local';
  // Everything but the in-process model sees the redacted input.
  const redact = !inProcess && screening.redactedInput !== undefined;
  const mode = callModeOf({
    inProcess,
    timeoutMs: candidate.timeoutMs,
    newPath: job.newPath,
    vendorCallsLocal: job.vendorCallsLocal,
    hedged: track !== undefined,
  });
  const account = (err: unknown): void => {
    accountFailure(tally, err);
  };
  let reask: CallModelArgs['reask'];
  for (;;) {
    let call: CallModelResult;
    if (track) track.calling = true;
    try {
      call = await callCandidate(
        {
          task: request.task,
          input: redact ? screening.redactedInput : plan.input,
          ...candidate,
          maxRetryDelayMs: plan.retryAfterBudgetMs,
          ...(deadlineAt !== undefined ? { deadlineAt } : {}),
          ...(reask ? { reask } : {}),
          // A registry prompt version: the call loads its text by id (histories stay small).
          ...(plan.promptId ? { promptId: plan.promptId } : {}),
          ...(request.tenancy ? { billing: billingOf(request, plan.promptVersion) } : {}),
          // A chat caller may stream: the call's output window moderates as validation would.
          ...(request.task === CHAT_TASK_NAME
            ? {
                stream: {
                  policy: plan.policy,
                  ...(redact ? { placeholders: screening.placeholders } : {}),
                  ...(screening.piiFingerprints ? { inputPii: screening.piiFingerprints } : {}),
                },
              }
            : {}),
        },
        { mode, timeoutMs: candidate.timeoutMs, onRetried: account },
      );
      if (track) track.calling = false;
      tally.attempts += call.attempt;
      tally.usage.providerMs += call.providerMs;
      tally.bill(call.usage, call.costUsd);
      countInterrupted(tally, call.interrupted);
      job.step({
        name: reask ? 're-ask' : 'call',
        outcome: 'ok',
        detail: `${candidate.provider}:${call.model}`,
      });
    } catch (err) {
      if (isCancellation(err)) throw err; // the hard timeout, or a hedge's winner: stop
      if (track) track.calling = false;
      // The caller has seen part of this answer: no other candidate may take over unseen.
      if (failureTypeOf(err) === FailureType.StreamInterrupted) {
        account(err);
        throw failureCause(err);
      }
      if (isBudgetRefusal(err)) {
        tally.overBudget = true;
        // A plan that rejects past its budget ends the task here: no cheaper candidate, no downgrade.
        if (request.tenancy?.budget?.overBudget === 'reject') throw failureCause(err);
      }
      account(err);
      // A refusal is behaviour, not an outage: drift detection counts it (docs/drift.md).
      if (failureTypeOf(err) === FailureType.ContentFilter) tally.refused.push(ref);
      const line = note(tally, routeReasonOfError(err), `${ref} ${describeFailure(err)}`);
      job.step({ name: reask ? 're-ask' : 'call', outcome: 'failed', detail: line });
      return { next: 'next' };
    }
    const validation = await validateOutput({
      task: request.task,
      output: call.output,
      text: call.text,
      ...(call.toolCalls ? { toolCalls: call.toolCalls } : {}),
      input: plan.input,
      ...(redact ? { placeholders: screening.placeholders } : {}),
      ...(screening.piiFingerprints ? { inputPii: screening.piiFingerprints } : {}),
      policy: plan.policy,
      lastResort: path === 'degraded',
      // `length`: a cut answer is `truncated`, not unreadable (shared/policy/reask.ts).
      finishReason: call.finishReason,
    });
    job.step({
      name: 'validate',
      outcome: validation.ok ? 'ok' : 'failed',
      detail: describeLayers(validation),
    });
    const answer = { output: validation.output, provider: call.provider, model: call.model, path };
    let failed: FailedLayer | undefined = validation.failed;
    let verified: { verifier?: VerifierMeta } = {};
    const verifier = validation.ok ? verifierFor(plan, inProcess) : undefined;
    if (verifier && patched(VERIFIER_PATCH)) {
      // The answer as the model wrote it: placeholders, not the values they stand for.
      const said = redact ? (call.output ?? call.text) : validation.output;
      const billing = request.tenancy ? billingOf(request, VERIFY_PROMPT_VERSION) : undefined;
      const verdict = await verifyAnswer(ctx, verifier, said, billing);
      verified = { verifier: verdict.meta };
      if (verdict.failed) {
        // An outage is no reason to re-ask the answering model: the next candidate instead.
        const down = verdict.meta.score === undefined && verifier.action === 're-ask';
        const action = down ? 'next' : verifier.action;
        failed = { layer: 'verifier', kind: 'grounding', action, issues: verdict.failed };
      }
    }
    if (!failed) return { answer: { ...answer, validation, ...verified } };
    // Re-ask once, with the failures named; a deterministic local model would only repeat itself.
    const again = failed.action === 're-ask' && !reask && !inProcess;
    const action = again ? 're-ask' : failed.action === 're-ask' ? 'next' : failed.action;
    const issues = failed.issues.map((e) => `${e.field} ${e.message}`).join('; ');
    tally.rejected.push({ candidate: ref, layer: failed.layer, action, issues: failed.issues });
    note(tally, 'invalid-answer', `${ref} failed ${failed.layer}: ${issues} → ${action}`);
    if (action === 'review') {
      return {
        answer: {
          ...answer,
          output: failed.layer === 'verifier' ? validation.output : validation.proposed,
          validation,
          ...verified,
          review: [`${failed.layer}: ${issues}`],
        },
      };
    }
    if (!again || track?.stop) {
      return {
        next: action === 'clamp' || action === 're-ask' ? 'next' : action,
        issues: failed.issues,
      };
    }
    reask = {
      previous: call.toolCalls
        ? JSON.stringify({ toolCalls: call.toolCalls })
        : (call.text ?? JSON.stringify(call.output)),
      problems: failed.issues.map((e) => `${e.field}: ${e.message}`),
      failure: failed.kind,
    };
  }
}

export function rejectionOf(issues: Issue[] | undefined): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    'The answer broke a rule whose action is reject',
    FailureType.OutputRejected,
    issues ?? [],
  );
}

function describeLayers(v: ValidationResult): string {
  return (['schema', 'rules', 'grounding', 'moderation'] as const)
    .map((layer) => `${layer} ${v.layers[layer].status}`)
    .join(' · ');
}

/** Who pays for the job's calls (the tenant's plan fixed it at admission). */
export function billingOf(
  request: RunTaskRequest,
  promptVersion: string,
): CallModelArgs['billing'] {
  const tenancy = request.tenancy;
  return {
    tenantId: request.tenantId,
    ...(tenancy?.keyId ? { keyId: tenancy.keyId } : {}),
    promptVersion,
    ...(tenancy?.budget ? { limitMicros: tenancy.budget.limitMicros } : {}),
  };
}

/** The call was not made: it could have passed the tenant's monthly budget. */
function isBudgetRefusal(err: unknown): boolean {
  return failureTypeOf(err) === FailureType.BudgetExceeded;
}

function failureTypeOf(err: unknown): string | undefined {
  const cause = failureCause(err);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
