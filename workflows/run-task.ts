import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  type RetryPolicy,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  Activities,
  CallModelArgs,
  CallModelResult,
  InputScreening,
  ValidationResult,
} from '../activities';
import type { PlannedCandidate } from '../shared/policy/routing';
import { FailureType, NON_RETRYABLE_FAILURES } from '../shared/contracts/errors';
import type {
  Issue,
  JobState,
  JobStep,
  LayerOutcome,
  ValidationMeta,
  ResultMeta,
  ResultPath,
  RunTaskRequest,
  RunTaskResult,
} from '../shared/contracts/job';
import { SearchAttr, getJobStateQuery } from '../shared/contracts/messages';
import { attemptsOf, billedUsageOf, describeFailure, providerMsOf } from './failure-info';
import { awaitReview } from './review';
import type { ReviewAudit } from '../shared/contracts/job';

/**
 * Admission, validation and recording are fast, CPU-only steps: they run as local activities (in
 * the worker that runs the workflow, recorded as markers in the history, no task-queue round
 * trip). Model calls stay regular activities: they need their own timeouts, retries across
 * workers, and cancellation.
 */
const BOOKKEEPING_TIMEOUT = '10 seconds';
const BOOKKEEPING_RETRY = {
  maximumAttempts: 3,
  nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
};

/** Attempts per route candidate before moving on to the next one. */
const MAX_ATTEMPTS_PER_CANDIDATE = 2;

const { admitRequest, screenInput, prepareTask, validateOutput, recordResult, findLastGood } =
  proxyLocalActivities<Activities>({
    startToCloseTimeout: BOOKKEEPING_TIMEOUT,
    retry: BOOKKEEPING_RETRY,
  });

/** Retries of one route candidate's call, the same whether it runs as an activity or locally. */
const MODEL_CALL_RETRY: RetryPolicy = {
  maximumAttempts: MAX_ATTEMPTS_PER_CANDIDATE,
  initialInterval: '200 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '5 seconds',
  nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
};

function modelCaller(timeoutMs: number): Activities['callModel'] {
  return proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    // callModel heartbeats every second (the SDK sends at most one per 4 s, 0.8 × this timeout):
    // a dead worker is noticed in 5 s, not at the timeout,
    // and cancellation reaches the HTTP call.
    heartbeatTimeout: '5 seconds',
    retry: MODEL_CALL_RETRY,
  }).callModel;
}

/**
 * The in-process `local` model runs as a local activity: no task-queue round trip and no second
 * workflow task, the whole task completes in one workflow task. External providers stay regular
 * activities (heartbeats carry cancellation to the HTTP call; retries survive a worker's death).
 */
function localModelCaller(timeoutMs: number): Activities['callModel'] {
  return proxyLocalActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    retry: MODEL_CALL_RETRY,
  }).callModel;
}

/**
 * Histories recorded before this patch replay along the old path. One id for both changes: each
 * patch costs a marker and an upsert of TemporalChangeVersion in every new history.
 */
const FEWER_ROUND_TRIPS = 'fewer-round-trips-v1';

/**
 * Histories recorded before it closed a run that a failure outside the steps' own handling ended
 * (recording the result, the review's bookkeeping) with its status still `running` or
 * `awaiting_review`, and closed runs while an update handler was still running (issue 21). Only
 * runs that take one of those branches record the marker.
 */
const CLOSE_CLEANLY = 'close-cleanly-v1';

interface Answer {
  output: unknown;
  provider: string;
  model: string;
  path: ResultPath;
  validation?: ValidationResult;
  lastGood?: { jobId: string; ageMs: number };
  /** Set when a validation layer's action is `review`: why a person must look. */
  review?: string[];
}

/** What one candidate came to: an answer, or where to go next. */
type Outcome = { answer: Answer } | { next: 'next' | 'degrade' | 'reject'; issues?: Issue[] };

const SKIPPED: LayerOutcome = { status: 'skipped' };

/**
 * The task pipeline: admit → screen the input → call (each route candidate in turn) → validate
 * in layers (re-ask once, next candidate, …) → record; when every candidate fails or the hard
 * timeout passes, the task's downgrades (`degraded`). Every step is an activity, so the Web UI
 * history reads like the story of the request. Workflow code only decides: all I/O, clocks,
 * detectors and statistics live in activities.
 */
export async function runTask(request: RunTaskRequest): Promise<RunTaskResult> {
  const job = openJob();
  setHandler(getJobStateQuery, () => job.state);
  try {
    return await runPipeline(request, job);
  } catch (err) {
    // A failure no step caught (recording the result, the review's bookkeeping) fails the job too.
    if (job.state.status !== 'failed' && !isCancellation(err) && patched(CLOSE_CLEANLY)) {
      job.fail(err);
    }
    throw err;
  } finally {
    // A decision still in its update handler (a losing edit) gets its answer before the run ends.
    if (!allHandlersFinished() && patched(CLOSE_CLEANLY)) {
      await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    }
  }
}

/** The job as callers see it: the state its query returns and the search attributes that follow. */
interface Job {
  state: JobState;
  /** Whether this history takes the `fewer-round-trips-v1` path. */
  newPath: boolean;
  /** The input's HMAC, once admitted; written with the final status. */
  inputKey?: string;
  finish: (status: 'completed' | 'failed', path?: ResultPath) => void;
  /** Marks the job failed and throws the failure as the workflow's own. */
  fail: (err: unknown) => never;
}

function openJob(): Job {
  const job: Job = {
    state: { status: 'running', steps: [] },
    // Every upsert is a history event and a visibility write on the server: one, at the end.
    newPath: patched(FEWER_ROUND_TRIPS),
    finish: (status, path) => {
      job.state.status = status;
      if (!job.newPath) {
        if (path) upsertSearchAttributes([{ key: SearchAttr.path, value: path }]);
        upsertSearchAttributes([{ key: SearchAttr.status, value: status }]);
        return;
      }
      upsertSearchAttributes([
        { key: SearchAttr.status, value: status },
        ...(path ? [{ key: SearchAttr.path, value: path }] : []),
        ...(job.inputKey ? [{ key: SearchAttr.inputKey, value: job.inputKey }] : []),
      ]);
    },
    fail: (err) => {
      job.finish('failed');
      throw surface(err);
    },
  };
  return job;
}

async function runPipeline(request: RunTaskRequest, job: Job): Promise<RunTaskResult> {
  const { state, newPath, fail } = job;
  const step = (s: JobStep): void => void state.steps.push(s);
  const reasons: string[] = [];
  const rejected: ValidationMeta['rejected'] = [];
  let attempts = 0;
  const usage = { input: 0, output: 0, cachedInput: 0, costUsd: 0, providerMs: 0 };
  const bill = (u: CallModelResult['usage'], cost: number): void => {
    usage.input += u.inputTokens;
    usage.output += u.outputTokens;
    usage.cachedInput += u.cachedInputTokens;
    usage.costUsd += cost;
  };

  // New histories admit and screen in one local activity; old ones replay the two.
  const prepared = newPath ? await prepareTask(request).catch(fail) : undefined;
  const plan = prepared?.plan ?? (await admitRequest(request).catch(fail));
  // An HMAC, not the input: lets a later degraded run find this one's answer.
  if (newPath) job.inputKey = plan.inputKey;
  else upsertSearchAttributes([{ key: SearchAttr.inputKey, value: plan.inputKey }]);
  step({
    name: 'admit',
    outcome: 'ok',
    detail: `route ${plan.candidates.map((c) => `${c.provider}:${c.model}`).join(' → ')}`,
  });

  const screening =
    prepared?.screening ??
    (await screenInput({ input: plan.input, policy: plan.policy }).catch(fail));
  step({
    name: 'screen',
    outcome: screening.blocked ? 'failed' : 'ok',
    detail: describeScreening(screening.report),
  });
  if (screening.blocked) {
    fail(
      ApplicationFailure.nonRetryable(
        `The input was refused by policy (${screening.blocked.check})`,
        FailureType.InputRejected,
        screening.blocked.errors,
      ),
    );
  }

  /** One candidate: the call (with its retries), validation, and at most one re-ask. */
  const attempt = async (
    candidate: PlannedCandidate,
    timeoutMs: number,
    maxRetryDelayMs: number,
    path: ResultPath,
  ): Promise<Outcome> => {
    const ref = `${candidate.provider}:${candidate.model}`;
    // Admission decides in-process from the provider's type. Plans recorded before it said so
    // only ever had the built-in under the name `local` (the config now refuses that name).
    const inProcess = candidate.inProcess ?? candidate.provider === 'local';
    // Everything but the in-process model sees the redacted input.
    const redact = !inProcess && screening.redactedInput !== undefined;
    let reask: CallModelArgs['reask'];
    for (;;) {
      let call: CallModelResult;
      try {
        call = await (inProcess && newPath ? localModelCaller : modelCaller)(timeoutMs)({
          task: request.task,
          input: redact ? screening.redactedInput : plan.input,
          ...candidate,
          maxRetryDelayMs,
          ...(reask ? { reask } : {}),
        });
        attempts += call.attempt;
        usage.providerMs += call.providerMs;
        bill(call.usage, call.costUsd);
        step({
          name: reask ? 're-ask' : 'call',
          outcome: 'ok',
          detail: `${candidate.provider}:${call.model}`,
        });
      } catch (err) {
        if (isCancellation(err)) throw err; // the hard timeout: stop trying candidates
        attempts += attemptsOf(err);
        usage.providerMs += providerMsOf(err);
        const billed = billedUsageOf(err);
        if (billed) bill(billed.usage, billed.costUsd);
        reasons.push(`${ref} ${describeFailure(err)}`);
        step({ name: reask ? 're-ask' : 'call', outcome: 'failed', detail: reasons.at(-1) });
        return { next: 'next' };
      }
      const validation = await validateOutput({
        task: request.task,
        output: call.output,
        text: call.text,
        input: plan.input,
        ...(redact ? { placeholders: screening.placeholders } : {}),
        ...(screening.piiFingerprints ? { inputPii: screening.piiFingerprints } : {}),
        policy: plan.policy,
        lastResort: path === 'degraded',
      });
      step({
        name: 'validate',
        outcome: validation.ok ? 'ok' : 'failed',
        detail: describeLayers(validation),
      });
      if (validation.ok) {
        return {
          answer: {
            output: validation.output,
            provider: call.provider,
            model: call.model,
            path,
            validation,
          },
        };
      }
      const failed = validation.failed!;
      // Re-ask once, with the failures named; a deterministic local model would only repeat itself.
      const again = failed.action === 're-ask' && !reask && !inProcess;
      const action = again ? 're-ask' : failed.action === 're-ask' ? 'next' : failed.action;
      rejected.push({ candidate: ref, layer: failed.layer, action, issues: failed.issues });
      reasons.push(
        `${ref} failed ${failed.layer}: ${failed.issues.map((e) => `${e.field} ${e.message}`).join('; ')} → ${action}`,
      );
      if (action === 'review') {
        return {
          answer: {
            output: validation.proposed,
            provider: call.provider,
            model: call.model,
            path,
            validation,
            review: [
              `${failed.layer}: ${failed.issues.map((e) => `${e.field} ${e.message}`).join('; ')}`,
            ],
          },
        };
      }
      if (!again) {
        return {
          next: action === 'clamp' || action === 're-ask' ? 'next' : action,
          issues: failed.issues,
        };
      }
      reask = {
        previous: call.text ?? JSON.stringify(call.output),
        problems: failed.issues.map((e) => `${e.field}: ${e.message}`),
      };
    }
  };

  let answer: Answer | undefined;
  try {
    // The hard timeout bounds the whole route; a timer in history, so replay agrees.
    answer = await CancellationScope.withTimeout(plan.hardTimeoutMs, async () => {
      for (const [index, candidate] of plan.candidates.entries()) {
        if (candidate.skip) {
          reasons.push(`${candidate.provider}:${candidate.model} ${candidate.skip}`);
          step({ name: 'call', outcome: 'failed', detail: reasons.at(-1) });
          continue;
        }
        const outcome = await attempt(
          candidate,
          candidate.timeoutMs,
          plan.retryAfterBudgetMs,
          index === 0 ? 'primary' : 'fallback',
        );
        if ('answer' in outcome) return outcome.answer;
        if (outcome.next === 'reject') throw rejectionOf(outcome.issues);
        if (outcome.next === 'degrade') break;
      }
      return undefined;
    });
  } catch (err) {
    if (!isCancellation(err)) fail(err);
    reasons.push(`hard timeout: ${plan.hardTimeoutMs} ms spent on the route`);
  }

  // Semantic downgrade, as the task's policy orders it; the answer is marked as degraded.
  for (const kind of answer ? [] : plan.degrade) {
    if (kind === 'last-good') {
      const last = await findLastGood({
        tenantId: request.tenantId,
        inputKey: plan.inputKey,
        excludeJobId: workflowInfo().workflowId,
      });
      if (last) {
        reasons.push(
          `served the last good answer (${last.jobId}, ${Math.round(last.ageMs / 1000)} s old)`,
        );
        answer = {
          output: last.output,
          provider: last.provider,
          model: last.model,
          path: 'degraded',
          lastGood: { jobId: last.jobId, ageMs: last.ageMs },
        };
      }
    } else if (kind === 'review') {
      // Nothing automated worked: a person writes the answer (approve alone is refused).
      answer = {
        output: undefined,
        provider: 'review',
        model: 'human',
        path: 'review',
        review: ['every route candidate failed: a reviewer must write the answer'],
      };
    } else if (plan.fallback) {
      const outcome = await attempt(
        plan.fallback,
        plan.fallback.timeoutMs,
        plan.retryAfterBudgetMs,
        'degraded',
      ).catch(fail);
      if ('answer' in outcome) answer = outcome.answer;
      else if (outcome.next === 'reject') fail(rejectionOf(outcome.issues));
    }
    if (answer) break;
  }
  if (!answer) {
    fail(
      ApplicationFailure.nonRetryable(
        'Every route candidate failed',
        FailureType.AllCandidatesFailed,
        {
          reasons,
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
  ];
  let reviewAudit: ReviewAudit | undefined;
  if (reviewReasons.length > 0) {
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
      reasons.push('review deadline passed: served the proposed answer');
      accepted = { ...accepted, path: 'degraded' };
    }
  }
  const v = accepted.validation;
  const lastGoodNote: LayerOutcome = {
    status: 'skipped',
    detail: 'the last good answer, validated when it was first returned',
  };

  const meta: ResultMeta = await recordResult({
    jobId: workflowInfo().workflowId,
    tenantId: request.tenantId,
    task: request.task,
    admittedAt: plan.admittedAt,
    meta: {
      provider: accepted.provider,
      model: accepted.model,
      promptVersion: plan.promptVersion,
      attempts,
      path: accepted.path,
      reasons,
      validation: {
        schema: v?.layers.schema ?? lastGoodNote,
        rules: v?.layers.rules ?? SKIPPED,
        grounding: v?.layers.grounding ?? SKIPPED,
        moderation: v?.layers.moderation ?? SKIPPED,
        parse: v?.parse ?? 'object',
        rejected,
      },
      moderation: { input: screening.report, ...(v ? { output: v.moderation } : {}) },
      tokens: {
        input: usage.input,
        output: usage.output,
        cachedInput: usage.cachedInput,
        estimatedInput: plan.estimatedInputTokens,
      },
      costUsd: Math.round(usage.costUsd * 1e6) / 1e6,
      providerMs: Math.round(usage.providerMs),
      ...(accepted.lastGood ? { lastGood: accepted.lastGood } : {}),
      ...(reviewAudit ? { review: reviewAudit } : {}),
    },
  });
  step({ name: 'record', outcome: 'ok' });
  state.output = accepted.output;
  state.meta = meta;
  job.finish('completed', accepted.path);
  return { output: accepted.output, meta, steps: state.steps };
}

function rejectionOf(issues: Issue[] | undefined): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    'The answer broke a rule whose action is reject',
    FailureType.OutputRejected,
    issues ?? [],
  );
}

function describeScreening(report: InputScreening['report']): string {
  const pii = report.pii.found.length
    ? `pii ${report.pii.action} (${report.pii.found.map((f) => `${f.type}×${f.count}`).join(', ')})`
    : 'no pii';
  return `${pii}; injection ${report.injection.score.toFixed(2)} ${report.injection.action}; toxicity ${report.toxicity.score.toFixed(2)} ${report.toxicity.action}`;
}

function describeLayers(v: ValidationResult): string {
  return (['schema', 'rules', 'grounding', 'moderation'] as const)
    .map((layer) => `${layer} ${v.layers[layer].status}`)
    .join(' · ');
}

/** An activity's typed failure (e.g. InvalidInput) becomes the workflow's own. */
function surface(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.cause.message,
      type: err.cause.type ?? undefined,
      details: err.cause.details ?? undefined,
      nonRetryable: true,
    });
  }
  return err;
}
