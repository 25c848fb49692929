import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, CallModelResult } from '../activities';
import type { RouteCandidate } from '../shared/routing';
import { FailureType, NON_RETRYABLE_FAILURES } from '../shared/errors';
import type {
  JobState,
  JobStep,
  ResultMeta,
  ResultPath,
  RunTaskRequest,
  RunTaskResult,
} from '../shared/job';
import { SearchAttr, getJobStateQuery } from '../shared/messages';
import { attemptsOf, billedUsageOf, describeFailure } from './failure-info';

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

const { admitRequest, validateOutput, recordResult, findLastGood } =
  proxyLocalActivities<Activities>({
    startToCloseTimeout: BOOKKEEPING_TIMEOUT,
    retry: BOOKKEEPING_RETRY,
  });

function modelCaller(timeoutMs: number): Activities['callModel'] {
  return proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    // callModel heartbeats every second: a dead worker is noticed in 5 s, not at the timeout,
    // and cancellation reaches the HTTP call.
    heartbeatTimeout: '5 seconds',
    retry: {
      maximumAttempts: MAX_ATTEMPTS_PER_CANDIDATE,
      initialInterval: '200 milliseconds',
      backoffCoefficient: 2,
      maximumInterval: '5 seconds',
      nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
    },
  }).callModel;
}

interface Answer {
  output: unknown;
  provider: string;
  model: string;
  path: ResultPath;
  lastGood?: { jobId: string; ageMs: number };
}

/**
 * The task pipeline: admit → call (each route candidate in turn) → validate → record; when
 * every candidate fails or the hard timeout passes, the task's deterministic fallback
 * (`degraded`). Every step is an activity, so the Web UI history reads like the story of the
 * request. Workflow code only decides: all I/O, clocks and statistics live in activities.
 */
export async function runTask(request: RunTaskRequest): Promise<RunTaskResult> {
  const state: JobState = { status: 'running', steps: [] };
  setHandler(getJobStateQuery, () => state);
  const step = (s: JobStep): void => void state.steps.push(s);
  const finish = (status: 'completed' | 'failed'): void => {
    state.status = status;
    upsertSearchAttributes([{ key: SearchAttr.status, value: status }]);
  };
  const reasons: string[] = [];
  let attempts = 0;
  const usage = { input: 0, output: 0, cachedInput: 0, costUsd: 0 };
  const bill = (u: CallModelResult['usage'], cost: number): void => {
    usage.input += u.inputTokens;
    usage.output += u.outputTokens;
    usage.cachedInput += u.cachedInputTokens;
    usage.costUsd += cost;
  };

  /** One candidate: the call (with its retries), then validation. Undefined when it failed. */
  const attempt = async (
    candidate: RouteCandidate,
    timeoutMs: number,
    maxRetryDelayMs: number,
    path: ResultPath,
  ): Promise<Answer | undefined> => {
    const ref = `${candidate.provider}:${candidate.model}`;
    let call: CallModelResult;
    try {
      call = await modelCaller(timeoutMs)({
        task: request.task,
        input: plan.input,
        ...candidate,
        maxRetryDelayMs,
      });
      attempts += call.attempt;
      bill(call.usage, call.costUsd);
      step({ name: 'call', outcome: 'ok', detail: `${candidate.provider}:${call.model}` });
    } catch (err) {
      if (isCancellation(err)) throw err; // the hard timeout: stop trying candidates
      attempts += attemptsOf(err);
      const billed = billedUsageOf(err);
      if (billed) bill(billed.usage, billed.costUsd);
      reasons.push(`${ref} ${describeFailure(err)}`);
      step({ name: 'call', outcome: 'failed', detail: reasons.at(-1) });
      return undefined;
    }
    const validation = await validateOutput({
      task: request.task,
      output: call.output,
      text: call.text,
    });
    if (!validation.ok) {
      reasons.push(
        `${ref} invalid output: ${validation.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      );
      step({ name: 'validate', outcome: 'failed', detail: reasons.at(-1) });
      return undefined;
    }
    step({
      name: 'validate',
      outcome: 'ok',
      detail:
        validation.repaired && validation.repaired !== 'none'
          ? `schema passed (${validation.repaired})`
          : 'schema passed',
    });
    return { output: validation.output, provider: call.provider, model: call.model, path };
  };

  const plan = await admitRequest(request).catch((err: unknown) => {
    finish('failed');
    throw surface(err);
  });
  // An HMAC, not the input: lets a later degraded run find this one's answer.
  upsertSearchAttributes([{ key: SearchAttr.inputKey, value: plan.inputKey }]);
  step({
    name: 'admit',
    outcome: 'ok',
    detail: `route ${plan.candidates.map((c) => `${c.provider}:${c.model}`).join(' → ')}`,
  });

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
        const found = await attempt(
          candidate,
          candidate.timeoutMs,
          plan.retryAfterBudgetMs,
          index === 0 ? 'primary' : 'fallback',
        );
        if (found) return found;
      }
      return undefined;
    });
  } catch (err) {
    if (!isCancellation(err)) throw err;
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
    } else if (plan.fallback) {
      answer = await attempt(
        plan.fallback,
        plan.fallback.timeoutMs,
        plan.retryAfterBudgetMs,
        'degraded',
      );
    }
    if (answer) break;
  }
  if (!answer) {
    finish('failed');
    throw ApplicationFailure.nonRetryable(
      'Every route candidate failed',
      FailureType.AllCandidatesFailed,
      { reasons },
    );
  }

  const meta: ResultMeta = await recordResult({
    jobId: workflowInfo().workflowId,
    tenantId: request.tenantId,
    task: request.task,
    admittedAt: plan.admittedAt,
    meta: {
      provider: answer.provider,
      model: answer.model,
      promptVersion: plan.promptVersion,
      attempts,
      path: answer.path,
      reasons,
      validation: { schema: 'passed' },
      tokens: {
        input: usage.input,
        output: usage.output,
        cachedInput: usage.cachedInput,
        estimatedInput: plan.estimatedInputTokens,
      },
      costUsd: Math.round(usage.costUsd * 1e6) / 1e6,
      ...(answer.lastGood ? { lastGood: answer.lastGood } : {}),
    },
  });
  step({ name: 'record', outcome: 'ok' });
  state.output = answer.output;
  state.meta = meta;
  upsertSearchAttributes([{ key: SearchAttr.path, value: answer.path }]);
  finish('completed');
  return { output: answer.output, meta, steps: state.steps };
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
