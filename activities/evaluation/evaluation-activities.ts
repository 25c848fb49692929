import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { RunTaskRequest } from '../../shared/contracts/job';
import { stringsOf } from '../../shared/guards/json-strings';
import { recordEvaluation } from '../../shared/platform/metrics';
import type { ResolvedPolicy } from '../../shared/policy/resolve-policy';
import { readVerifierVerdict, VERIFY_ANSWER_TASK } from '../../shared/tasks/verify-answer';
import type { EvaluationRow, TenantStore } from '../../shared/tenancy/store';
import { toMicros } from '../../shared/tenancy/plans';
import { liveRequest, liveResult } from '../experiments/live-job';
import { createOutputModerator } from '../guards/output-moderation';
import type { InputScreening } from '../guards/screen-input';
import type { CallModelArgs, CallModelResult } from '../models/call-model';
import type { TaskPlan } from '../pipeline/pipeline-activities';
import type { PlannedCandidate } from '../../shared/policy/routing';

/**
 * Sampled evaluation of live traffic (docs/evaluation.md). `evaluateAnswer` loads a finished live
 * job by its id, screens its request again (the verifier sees the input redacted, as a vendor
 * model did live, and the answer with the same placeholders), asks the verifier route to score
 * the answer's faithfulness (the internal task `verify-answer`, never billed to the tenant) and
 * runs output moderation on the answer as returned (unsafe: PII or profanity the input did not
 * have, whatever the tenant's policy does with it). Only flags and numbers leave it.
 * `recordEvaluation` writes the row, counts it and tells the drift monitor (alerts on the rates).
 */

export interface EvaluationDeps {
  store?: TenantStore;
  client?: Client;
  now: () => number;
  /** The pipeline's admission and screening, run again for the redacted input and the policy. */
  prepare: (request: RunTaskRequest) => Promise<{ plan: TaskPlan; screening: InputScreening }>;
  /** The model call activity's function, called here without `billing`. */
  callModel: (args: CallModelArgs) => Promise<CallModelResult>;
  /** Told of each recorded evaluation: the alerts on the rates (docs/drift.md). */
  onRecorded?: (
    series: Pick<EvaluationRow, 'task' | 'provider' | 'model' | 'promptVersion'>,
  ) => void;
}

export interface EvaluateAnswerArgs {
  /** The live job (its workflow id). */
  jobId: string;
  /** Verifier candidates; absent: the live answer's own model. */
  route?: string[];
  /** A score below this is unfaithful. */
  minScore: number;
}

/** What one evaluation leaves: its row without the timestamp (stamped on write). */
export type EvaluationOutcome = Omit<EvaluationRow, 'at'>;

/** One verifier call's timeout: the evaluation waits on nobody, but must not hang. */
const VERIFY_TIMEOUT_MS = 10_000;

export function createEvaluationActivities(deps: EvaluationDeps) {
  return {
    async evaluateAnswer(
      args: EvaluateAnswerArgs,
    ): Promise<EvaluationOutcome | { skipped: string }> {
      if (!deps.store || !deps.client)
        throw ApplicationFailure.nonRetryable('evaluation needs the tenant store and Temporal');
      const live = await liveResult(deps.client, args.jobId);
      const request = await liveRequest(deps.client, args.jobId);
      const own = `${live.meta.provider}:${live.meta.model}`;
      // The live request admitted again on a route (no review, no cache; the plan's limits were
      // the live job's to spend): its own for screening, the verifiers' for the candidates the
      // tenant's data policy lets see it.
      const prepare = (route: string[]) =>
        deps.prepare({
          ...request,
          options: { ...request.options, route, review: undefined, cacheTtlMs: undefined },
          ...(request.tenancy ? { tenancy: { ...request.tenancy, limited: undefined } } : {}),
        });
      const { plan, screening } = await prepare([own]);
      let verifiers: Verifiers = { candidates: plan.candidates };
      if (args.route)
        verifiers = await prepare(args.route).then(
          (p) => ({ candidates: p.plan.candidates }),
          (err: unknown) => ({ candidates: [], refused: `route refused: ${failureType(err)}` }),
        );
      if (screening.blocked) return { skipped: 'input refused on screening again' };
      const input = plan.input ?? request.input;
      const verdict = await verify(deps, {
        ...verifiers,
        minScore: args.minScore,
        input: screening.redactedInput ?? input,
        answer: hide(live.output, screening.placeholders),
        retryAfterBudgetMs: plan.retryAfterBudgetMs,
      });
      return {
        jobId: args.jobId,
        tenantId: request.tenantId,
        task: request.task,
        provider: live.meta.provider,
        model: live.meta.model,
        promptVersion: live.meta.promptVersion,
        ...verdict,
        unsafe: unsafeAnswer(live.output, input, screening.piiFingerprints, plan.policy),
      };
    },

    async recordEvaluation(outcome: EvaluationOutcome): Promise<void> {
      await deps.store?.evaluations.record({ ...outcome, at: deps.now() });
      deps.onRecorded?.(outcome);
      recordEvaluation({
        task: outcome.task,
        model: `${outcome.provider}:${outcome.model}`,
        verdict: outcome.unsafe
          ? 'unsafe'
          : outcome.unfaithful === null
            ? 'error'
            : outcome.unfaithful
              ? 'unfaithful'
              : 'faithful',
      });
    },
  };
}

type Verifiers = { candidates: PlannedCandidate[]; refused?: string };
type Verdict = Pick<EvaluationRow, 'unfaithful' | 'score' | 'error' | 'costMicros' | 'verifier'>;

/** Each verifier candidate in turn (one call each, unbilled) until one gives a readable verdict. */
async function verify(
  deps: EvaluationDeps,
  a: Verifiers & {
    minScore: number;
    input: unknown;
    answer: unknown;
    retryAfterBudgetMs: number;
  },
): Promise<Verdict> {
  let costUsd = 0;
  let error = a.refused ?? 'no verifier the data policy allows';
  let verifier = '';
  for (const { provider, model, skip } of a.candidates) {
    verifier = `${provider}:${model}`;
    if (skip) {
      error = `skipped: ${skip}`;
      continue;
    }
    let call: CallModelResult;
    try {
      call = await deps.callModel({
        task: VERIFY_ANSWER_TASK,
        input: { input: a.input, answer: a.answer },
        provider,
        model,
        timeoutMs: VERIFY_TIMEOUT_MS,
        maxRetryDelayMs: a.retryAfterBudgetMs,
      });
    } catch (err) {
      error = `call failed: ${failureType(err)}`;
      continue;
    }
    costUsd += call.costUsd;
    const read = readVerifierVerdict({ output: call.output, text: call.text });
    if (!read.ok) {
      error = 'no verdict';
      continue;
    }
    const score = read.verdict.score;
    return {
      unfaithful: score < a.minScore,
      score,
      error: null,
      costMicros: toMicros(costUsd),
      verifier,
    };
  }
  return { unfaithful: null, score: null, error, costMicros: toMicros(costUsd), verifier };
}

const failureType = (err: unknown): string =>
  (err instanceof ApplicationFailure ? err.type : undefined) ?? 'error';

/** The answer with the input's values put back behind their placeholders (as the model wrote it). */
function hide(answer: unknown, placeholders: Record<string, string> | undefined): unknown {
  if (!placeholders || answer === undefined) return answer;
  let json = JSON.stringify(answer);
  const pairs = Object.entries(placeholders).sort((x, y) => y[1].length - x[1].length);
  for (const [placeholder, value] of pairs) {
    if (!value) continue;
    json = json.split(JSON.stringify(value).slice(1, -1)).join(placeholder);
  }
  return JSON.parse(json) as unknown;
}

/**
 * Output moderation's rule on the answer as returned, whatever the tenant's policy does with what
 * it finds (evaluation measures, it does not enforce): PII the input did not hold, or fresh
 * profanity at or above the policy's toxicity threshold.
 */
function unsafeAnswer(
  output: unknown,
  input: unknown,
  inputPii: readonly string[] | undefined,
  policy: ResolvedPolicy,
): boolean {
  const moderator = createOutputModerator({
    input,
    ...(inputPii ? { inputPii } : {}),
    policy: {
      ...policy,
      moderation: { ...policy.moderation, output: { pii: 'flag', toxicity: 'flag' } },
    },
  });
  return stringsOf(output).some(({ text }) => {
    if (moderator.introducedPii(text).length > 0) return true;
    const toxic = moderator.freshToxicity(text);
    return toxic !== undefined && moderator.toxicityAction(toxic.score) !== 'none';
  });
}
