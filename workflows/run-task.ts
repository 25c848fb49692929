import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureType, NON_RETRYABLE_FAILURES } from '../shared/errors';
import type { JobState, JobStep, ResultMeta, RunTaskRequest, RunTaskResult } from '../shared/job';
import { SearchAttr, getJobStateQuery } from '../shared/messages';

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

const { admitRequest, validateOutput, recordResult } = proxyLocalActivities<Activities>({
  startToCloseTimeout: BOOKKEEPING_TIMEOUT,
  retry: BOOKKEEPING_RETRY,
});

function modelCaller(timeoutMs: number): Activities['callModel'] {
  return proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    retry: {
      maximumAttempts: MAX_ATTEMPTS_PER_CANDIDATE,
      initialInterval: '200 milliseconds',
      backoffCoefficient: 2,
      nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
    },
  }).callModel;
}

/** One line naming a failure, without its payload (messages may echo upstream text). */
function describeFailure(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? 'Error';
    return cause.message.startsWith(type) ? cause.message : `${type}: ${cause.message}`;
  }
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** Calls a failed candidate made (callModel records its last attempt number in the details). */
function attemptsOf(err: unknown): number {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const attempt =
    cause instanceof ApplicationFailure
      ? (cause.details?.[0] as { attempt?: number } | undefined)?.attempt
      : undefined;
  return typeof attempt === 'number' && attempt > 0 ? attempt : 1;
}

/** Usage a failed call was still billed for (callModel puts it in the failure's details). */
function billedUsageOf(err: unknown):
  | {
      usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
      costUsd: number;
    }
  | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const d = cause.details?.[0] as
    | {
        billedUsage?: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
        billedCostUsd?: number;
      }
    | undefined;
  return d?.billedUsage ? { usage: d.billedUsage, costUsd: d.billedCostUsd ?? 0 } : undefined;
}

/**
 * The task pipeline: admit → call → validate → record. Every step is an activity, so the Web UI
 * history reads like the story of the request. Workflow code only decides; all I/O and clocks
 * live in activities.
 */
export async function runTask(request: RunTaskRequest): Promise<RunTaskResult> {
  const state: JobState = { status: 'running', steps: [] };
  setHandler(getJobStateQuery, () => state);
  const step = (s: JobStep): void => {
    state.steps.push(s);
  };
  const finish = (status: 'completed' | 'failed'): void => {
    state.status = status;
    upsertSearchAttributes([{ key: SearchAttr.status, value: status }]);
  };

  try {
    const plan = await admitRequest(request);
    step({
      name: 'admit',
      outcome: 'ok',
      detail: `route ${plan.candidates.map((c) => `${c.provider}:${c.model}`).join(' → ')}`,
    });

    const callModel = modelCaller(plan.callTimeoutMs);
    const reasons: string[] = [];
    let attempts = 0;
    // Usage and cost over every billed call, failed ones included.
    const usage = { input: 0, output: 0, cachedInput: 0, costUsd: 0 };
    const bill = (
      u: { inputTokens: number; outputTokens: number; cachedInputTokens: number },
      cost: number,
    ): void => {
      usage.input += u.inputTokens;
      usage.output += u.outputTokens;
      usage.cachedInput += u.cachedInputTokens;
      usage.costUsd += cost;
    };
    for (const [index, candidate] of plan.candidates.entries()) {
      let response: Awaited<ReturnType<Activities['callModel']>>;
      try {
        response = await callModel({ task: request.task, input: plan.input, ...candidate });
        attempts += response.attempt;
        step({ name: 'call', outcome: 'ok', detail: `${candidate.provider}:${response.model}` });
      } catch (err) {
        attempts += attemptsOf(err);
        const billed = billedUsageOf(err);
        if (billed) bill(billed.usage, billed.costUsd);
        const why = `${candidate.provider}:${candidate.model} ${describeFailure(err)}`;
        reasons.push(why);
        step({ name: 'call', outcome: 'failed', detail: why });
        continue;
      }

      bill(response.usage, response.costUsd);
      const validation = await validateOutput({
        task: request.task,
        output: response.output,
        text: response.text,
      });
      if (!validation.ok) {
        const why = `${candidate.provider}:${candidate.model} invalid output: ${validation.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`;
        reasons.push(why);
        step({ name: 'validate', outcome: 'failed', detail: why });
        continue;
      }
      step({ name: 'validate', outcome: 'ok', detail: 'schema passed' });

      const meta: ResultMeta = await recordResult({
        jobId: workflowInfo().workflowId,
        tenantId: request.tenantId,
        task: request.task,
        admittedAt: plan.admittedAt,
        meta: {
          provider: response.provider,
          model: response.model,
          promptVersion: plan.promptVersion,
          attempts,
          path: index === 0 ? 'primary' : 'fallback',
          reasons,
          validation: { schema: 'passed' },
          tokens: {
            input: usage.input,
            output: usage.output,
            cachedInput: usage.cachedInput,
            estimatedInput: plan.estimatedInputTokens,
          },
          costUsd: Math.round(usage.costUsd * 1e6) / 1e6,
        },
      });
      step({ name: 'record', outcome: 'ok' });
      state.output = validation.output;
      state.meta = meta;
      finish('completed');
      return { output: validation.output, meta };
    }
    throw ApplicationFailure.nonRetryable(
      'Every route candidate failed',
      FailureType.AllCandidatesFailed,
      { reasons },
    );
  } catch (err) {
    finish('failed');
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      // Surface the activity's typed failure (e.g. InvalidInput) as the workflow's own.
      throw ApplicationFailure.create({
        message: err.cause.message,
        type: err.cause.type ?? undefined,
        details: err.cause.details ?? undefined,
        nonRetryable: true,
      });
    }
    throw err;
  }
}
