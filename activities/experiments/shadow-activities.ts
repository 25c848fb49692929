import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { RunTaskRequest, RunTaskResult } from '../../shared/contracts/job';
import { compareAnswers, enumFieldOf } from '../../shared/observability/experiment-stats';
import { findTask } from '../../shared/tasks';
import type { Experiment, ExperimentResult, TenantStore } from '../../shared/tenancy/store';
import type { CallModelArgs, CallModelResult } from '../models/call-model';
import type { InputScreening } from '../guards/screen-input';
import { validateAnswer } from '../guards/validation';
import type { TaskPlan } from '../pipeline/pipeline-activities';
import { liveRequest, liveResult } from './live-job';

/**
 * Shadow tests' activities (docs/experiments.md). `shadowCompare` loads the live job by its id
 * (its request from the start event, its answer from its result), admits and screens the same
 * request again with the candidate route, calls the candidate with the candidate prompt (never
 * billed: no ledger, no budget), validates the answer and compares it with the live one. Only
 * flags and numbers leave it: the shadow workflow's history holds ids and figures, never the
 * input or either answer. `recordShadow` writes the comparison.
 */

export interface ShadowDeps {
  store?: TenantStore;
  client?: Client;
  now: () => number;
  /** The pipeline's admission and screening (the live job's, run again for the candidate). */
  prepare: (request: RunTaskRequest) => Promise<{ plan: TaskPlan; screening: InputScreening }>;
  /** The model call activity's function, called here without `billing`. */
  callModel: (args: CallModelArgs) => Promise<CallModelResult>;
}

/** What one shadowed job leaves: flags and numbers, no content (its row, stamped on write). */
export type ShadowOutcome = Omit<ExperimentResult, 'at'>;

const micros = (usd: number): number => Math.round(usd * 1_000_000);

export function createShadowActivities(deps: ShadowDeps) {
  return {
    async shadowCompare(args: {
      experimentId: string;
      jobId: string;
    }): Promise<ShadowOutcome | { skipped: string }> {
      if (!deps.store || !deps.client)
        throw ApplicationFailure.nonRetryable('shadow tests need the tenant store and Temporal');
      const experiment = await deps.store.experiments.get(args.experimentId);
      if (!experiment) return { skipped: 'experiment not found' };
      if (experiment.status !== 'running') return { skipped: 'experiment stopped' };
      // The live job has recorded its result and closes right after: this waits for that.
      const live = await liveResult(deps.client, args.jobId);
      const request = await liveRequest(deps.client, args.jobId);
      const shadow = await runCandidate(deps, experiment, request, live);
      const task = findTask(request.task);
      const compared = compareAnswers(
        live.output,
        shadow.output,
        task ? enumFieldOf(task.output) : undefined,
      );
      return {
        experimentId: experiment.id,
        jobId: args.jobId,
        tenantId: request.tenantId,
        ...compared,
        shadowValid: shadow.valid,
        shadowError: shadow.error,
        liveLatencyMs: live.meta.providerMs ?? live.meta.latencyMs,
        shadowLatencyMs: shadow.latencyMs,
        liveCostMicros: micros(live.meta.costUsd),
        shadowCostMicros: micros(shadow.costUsd),
        shadowProvider: shadow.provider,
        shadowModel: shadow.model,
      };
    },

    async recordShadow(outcome: ShadowOutcome): Promise<void> {
      await deps.store?.experiments.record({ ...outcome, at: deps.now() });
    },
  };
}

interface CandidateAnswer {
  valid: boolean;
  error: string | null;
  output: unknown;
  latencyMs: number;
  costUsd: number;
  provider: string;
  model: string;
}

/** The candidate's answer to the live request: admitted, screened, called (unbilled), validated. */
async function runCandidate(
  deps: ShadowDeps,
  experiment: Experiment,
  request: RunTaskRequest,
  live: RunTaskResult,
): Promise<CandidateAnswer> {
  const route = experiment.candidateRoute ?? `${live.meta.provider}:${live.meta.model}`;
  const { plan, screening } = await deps.prepare({
    ...request,
    // One candidate, no review, no cache; the plan's limits were the live job's to spend.
    options: { ...request.options, route: [route], review: undefined, cacheTtlMs: undefined },
    ...(request.tenancy ? { tenancy: { ...request.tenancy, limited: undefined } } : {}),
  });
  const input = plan.input ?? request.input;
  const candidate = plan.candidates[0];
  const [provider = '', model = ''] = route.split(/:(.*)/s);
  const none = { output: undefined, latencyMs: 0, costUsd: 0, provider, model };
  if (screening.blocked) return { ...none, valid: false, error: 'input-rejected' };
  if (!candidate || candidate.skip)
    return { ...none, valid: false, error: candidate?.skip ?? 'no candidate' };
  // The candidate prompt, else the live job's version when it is a registry one.
  const builtIn = findTask(request.task)?.prompt.version;
  const promptId =
    experiment.candidatePromptId ??
    (live.meta.promptVersion !== builtIn ? live.meta.promptVersion : undefined);
  const redact = !candidate.inProcess && screening.redactedInput !== undefined;
  const started = deps.now();
  let call: CallModelResult;
  try {
    // No `billing`: the tenant's ledger and budget never see a shadow call.
    call = await deps.callModel({
      task: request.task,
      input: redact ? screening.redactedInput : input,
      provider: candidate.provider,
      model: candidate.model,
      ...(candidate.timeoutMs ? { timeoutMs: candidate.timeoutMs } : {}),
      maxRetryDelayMs: plan.retryAfterBudgetMs,
      ...(promptId ? { promptId } : {}),
    });
  } catch (err) {
    const type = err instanceof ApplicationFailure ? err.type : undefined;
    return {
      ...none,
      latencyMs: deps.now() - started,
      valid: false,
      error: `call failed: ${type ?? 'error'}`,
    };
  }
  const task = findTask(request.task)!;
  const validation = validateAnswer(task, {
    output: call.output,
    text: call.text,
    input,
    ...(redact ? { placeholders: screening.placeholders } : {}),
    ...(screening.piiFingerprints ? { inputPii: screening.piiFingerprints } : {}),
    policy: plan.policy,
    finishReason: call.finishReason,
  });
  return {
    valid: validation.ok,
    error: validation.ok ? null : `validation: ${validation.failed?.layer ?? 'failed'}`,
    output: validation.output ?? validation.proposed,
    latencyMs: call.providerMs,
    costUsd: call.costUsd,
    provider: call.provider,
    model: call.model,
  };
}
