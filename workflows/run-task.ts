import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InputScreening, TaskPlan } from '../activities';
import { observeTask, type DriftObservation } from '../shared/observability/observation';
import { FailureType } from '../shared/contracts/errors';
import type { ReviewAudit, RunTaskRequest, RunTaskResult } from '../shared/contracts/job';
import { SearchAttr, getJobStateQuery } from '../shared/contracts/messages';
import { legacyRouteReasonOf } from '../shared/contracts/route-reasons';
import {
  admitRequest,
  closeTenancy,
  publishJobEnd,
  prepareTask,
  recordResult,
  screenInput,
  validateOutput,
} from './pipeline/proxies';
import {
  attemptCandidate,
  rejectionOf,
  type Answer,
  type AttemptContext,
  type Outcome,
} from './pipeline/attempt';
import { attemptHedged, hedgePartner, HEDGED_CALLS } from './pipeline/hedge';
import { candidateDeadlines } from './pipeline/budget';
import { degrade } from './pipeline/degrade';
import {
  CANCELLED_ON_ROUTE,
  CLOSE_CLEANLY,
  JOB_END_EVENTS,
  openJob,
  type Job,
} from './pipeline/job';
import { resultMeta } from './pipeline/record';
import { note, openTally, type Tally } from './pipeline/tally';
import { awaitReview } from './pipeline/review';
import {
  checkInjectionWithModel,
  INJECTION_MODEL_CHECK,
  wantsModelCheck,
} from './pipeline/injection-check';

/**
 * The task pipeline: admit → screen the input → call (each route candidate in turn) → validate
 * in layers (re-ask once, next candidate, …) → record; when every candidate fails or the hard
 * timeout passes, the task's downgrades (`degraded`). Every step is an activity, so the Web UI
 * history reads like the story of the request. Workflow code only decides: all I/O, clocks,
 * detectors and statistics live in activities. The steps live in `pipeline/`.
 */
/** Patch: a job holding a tenant's concurrency slot frees it in a last local activity. */
export const TENANT_SLOT = 'tenant-slot-v1';

export async function runTask(request: RunTaskRequest): Promise<RunTaskResult> {
  const job = openJob();
  setHandler(getJobStateQuery, () => job.state);
  try {
    return await runPipeline(request, job);
  } catch (err) {
    // A failure no step caught (recording the result, the review's bookkeeping) fails the job too.
    let failure = err;
    if (job.state.status !== 'failed' && !isCancellation(err) && patched(CLOSE_CLEANLY)) {
      try {
        job.fail(err);
      } catch (surfaced) {
        failure = surfaced;
      }
    }
    if (patched(JOB_END_EVENTS)) {
      const cancelled = isCancellation(err);
      if (cancelled) job.state.status = 'cancelled';
      // Best effort: an event that cannot be written must not change how the job ended.
      await CancellationScope.nonCancellable(() =>
        publishJobEnd({
          jobId: workflowInfo().workflowId,
          tenantId: request.tenantId,
          task: request.task,
          status: cancelled ? 'cancelled' : 'failed',
          ...(failure instanceof ApplicationFailure && failure.type
            ? { failureType: failure.type }
            : {}),
        }).catch(() => undefined),
      );
    }
    throw failure;
  } finally {
    // A job that holds a tenant's concurrency slot frees it however it ended. Only such jobs
    // ask the patch: every other history keeps its shape.
    if (request.tenancy?.holdsSlot && patched(TENANT_SLOT)) {
      // A release that fails leaves the slot to expire with its lease (the hard timeout).
      await CancellationScope.nonCancellable(() =>
        closeTenancy({ jobId: workflowInfo().workflowId }).catch(() => undefined),
      );
    }
    // A decision still in its update handler (a losing edit) gets its answer before the run ends.
    // Only a run that opened a review has handlers; asking the patch whether or not one is still
    // running keeps its marker in one place however replay orders a handler's last result.
    if (job.reviewed && patched(CLOSE_CLEANLY) && !allHandlersFinished()) {
      await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    }
  }
}

async function runPipeline(request: RunTaskRequest, job: Job): Promise<RunTaskResult> {
  const { state, newPath, fail, step } = job;
  const tally = openTally();

  // New histories admit and screen in one local activity; old ones replay the two.
  const prepared = newPath ? await prepareTask(request).catch(fail) : undefined;
  const admitted = prepared?.plan ?? (await admitRequest(request).catch(fail));
  // prepareTask leaves out an input equal to the request's (the start event holds it).
  const plan = { ...admitted, input: admitted.input ?? request.input };
  // An HMAC, not the input: lets a later degraded run find this one's answer.
  if (newPath) job.inputKey = plan.inputKey;
  else upsertSearchAttributes([{ key: SearchAttr.inputKey, value: plan.inputKey }]);
  step({
    name: 'admit',
    outcome: 'ok',
    detail: `route ${plan.candidates.map((c) => `${c.provider}:${c.model}`).join(' → ')}`,
  });

  let screening =
    prepared?.screening ??
    (await screenInput({ input: plan.input, policy: plan.policy }).catch(fail));
  step({
    name: 'screen',
    outcome: screening.blocked ? 'failed' : 'ok',
    detail: describeScreening(screening.report),
  });
  // A model's verdict too, when the policy names the check: only those runs ask the patch.
  if (wantsModelCheck(plan, screening) && patched(INJECTION_MODEL_CHECK)) {
    screening = await checkInjectionWithModel({ request, plan, screening, job, tally });
  }
  if (screening.blocked) {
    fail(
      ApplicationFailure.nonRetryable(
        `The input was refused by policy (${screening.blocked.check})`,
        FailureType.InputRejected,
        screening.blocked.errors,
      ),
    );
  }
  // No candidate may see this data (the data policy, decided in prepareTask): nothing is called.
  const denied = plan.dataPolicy?.denied;
  if (denied) {
    step({ name: 'policy', outcome: 'failed', detail: denied.rule });
    fail(
      ApplicationFailure.nonRetryable(
        `No candidate of the route may see this request: ${denied.rule}`,
        FailureType.PolicyDenied,
        { rule: denied.rule, dataClass: plan.dataPolicy!.dataClass },
      ),
    );
  }

  const ctx: AttemptContext = { request, plan, screening, job, tally };
  let answer: Answer | undefined;
  try {
    // The hard timeout bounds the whole route; a timer in history, so replay agrees.
    answer = await CancellationScope.withTimeout(plan.hardTimeoutMs, async () => {
      const deadlineOf = candidateDeadlines(plan, request.options);
      let called = 0;
      for (let index = 0; index < plan.candidates.length; index++) {
        const candidate = plan.candidates[index]!;
        if (candidate.skip) {
          const line = `${candidate.provider}:${candidate.model} ${candidate.skip}`;
          // A plan recorded before skipCode existed: its line's code by the legacy parse.
          const code = candidate.skipCode ?? legacyRouteReasonOf(line) ?? 'other';
          step({ name: 'call', outcome: 'failed', detail: note(tally, code, line) });
          continue;
        }
        const path = index === 0 ? 'primary' : 'fallback';
        const partner = hedgePartner(plan.candidates, index);
        let outcome: Outcome;
        // Only plans with a hedge ask the patch: other histories keep their shape and markers.
        if (partner && patched(HEDGED_CALLS)) {
          const hedge = await attemptHedged(
            ctx,
            { candidate, path, deadlineAt: deadlineOf(called) },
            { candidate: partner, path: 'fallback', deadlineAt: deadlineOf(called + 1) },
          );
          outcome = hedge.outcome;
          called += hedge.hedged ? 2 : 1;
          // The partner has had its turn beside this one.
          if (hedge.hedged) index += 1;
        } else {
          outcome = await attemptCandidate(ctx, candidate, path, deadlineOf(called++));
        }
        if ('answer' in outcome) return outcome.answer;
        if (outcome.next === 'reject') throw rejectionOf(outcome.issues);
        if (outcome.next === 'degrade') break;
      }
      return undefined;
    });
  } catch (err) {
    if (!isCancellation(err)) fail(err);
    // The job itself was cancelled, not the route's timeout scope: it ends cancelled.
    if (CancellationScope.current().consideredCancelled && patched(CANCELLED_ON_ROUTE)) throw err;
    note(tally, 'hard-timeout', `hard timeout: ${plan.hardTimeoutMs} ms spent on the route`);
  }
  answer ??= await degrade(ctx);
  if (!answer) {
    fail(
      ApplicationFailure.nonRetryable(
        'Every route candidate failed',
        FailureType.AllCandidatesFailed,
        {
          reasons: tally.reasons,
        },
      ),
    );
  }
  let accepted = answer!;

  // Human review: a trigger holds the answer until a person decides, durably, with a deadline.
  const reviewReasons = [
    ...(accepted.review ?? []),
    ...(screening.review ?? []),
    ...(request.options.review === 'always' ? ['requested by the caller (options.review)'] : []),
    // The plan sends work past its budget to a person: the answer came without the paid models.
    ...(tally.overBudget && request.tenancy?.budget?.overBudget === 'review'
      ? ['the tenant’s monthly budget is spent: this answer comes from a cheaper path']
      : []),
  ];
  let reviewAudit: ReviewAudit | undefined;
  if (reviewReasons.length > 0) {
    job.reviewed = true;
    const reviewed = await awaitReview({
      request,
      plan,
      proposal: accepted,
      reasons: reviewReasons,
      state,
      step,
      validateEdit: (output) =>
        validateOutput({
          task: request.task,
          output,
          input: plan.input,
          policy: plan.policy,
          reviewerEdit: true,
        }),
    });
    if (reviewed.kind === 'rejected') {
      fail(
        ApplicationFailure.nonRetryable(
          reviewed.expired
            ? 'The review deadline passed and the policy rejects the task'
            : 'A reviewer rejected the answer',
          reviewed.expired ? FailureType.ReviewExpired : FailureType.ReviewRejected,
          reviewed.audit ?? { reasons: reviewReasons },
        ),
      );
    }
    if (reviewed.kind === 'decided') {
      reviewAudit = reviewed.audit;
      accepted = { ...accepted, output: reviewed.output, path: 'review' };
    } else {
      note(tally, 'review-deadline', 'review deadline passed: served the proposed answer');
      accepted = { ...accepted, path: 'degraded' };
    }
  }

  const meta = await recordResult({
    jobId: workflowInfo().workflowId,
    tenantId: request.tenantId,
    task: request.task,
    admittedAt: plan.admittedAt,
    meta: resultMeta({ plan, screening, accepted, tally, ...(reviewAudit ? { reviewAudit } : {}) }),
    ...(request.tenancy ? { billed: { keyId: request.tenancy.keyId } } : {}),
    // An argument, not a command: histories recorded without it replay unchanged.
    ...observationOf(request, plan, tally, accepted),
  });
  step({ name: 'record', outcome: 'ok' });
  state.output = accepted.output;
  state.meta = meta;
  job.finish('completed', accepted.path);
  return { output: accepted.output, meta, steps: state.steps };
}

/** What drift detection keeps of this task: the route's first called model's behaviour. */
function observationOf(
  request: RunTaskRequest,
  plan: { promptVersion: string; candidates: TaskPlan['candidates'] },
  tally: Tally,
  accepted: Answer,
): { observation?: DriftObservation } {
  const observation = observeTask({
    task: request.task,
    promptVersion: plan.promptVersion,
    candidates: plan.candidates,
    rejected: tally.rejected,
    refused: tally.refused,
    accepted,
  });
  return observation ? { observation } : {};
}

function describeScreening(report: InputScreening['report']): string {
  const pii = report.pii.found.length
    ? `pii ${report.pii.action} (${report.pii.found.map((f) => `${f.type}×${f.count}`).join(', ')})`
    : 'no pii';
  return `${pii}; injection ${report.injection.score.toFixed(2)} ${report.injection.action}; toxicity ${report.toxicity.score.toFixed(2)} ${report.toxicity.action}`;
}
