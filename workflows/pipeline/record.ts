import type { InputScreening, TaskPlan } from '../../activities';
import type { LayerOutcome, ResultMeta, ReviewAudit } from '../../shared/contracts/job';
import type { Answer } from './attempt';
import type { Tally } from './tally';

const SKIPPED: LayerOutcome = { status: 'skipped' };
const LAST_GOOD: LayerOutcome = {
  status: 'skipped',
  detail: 'the last good answer, validated when it was first returned',
};

/** The result's meta (before `recordResult` adds latency): what answered, how, and its cost. */
export function resultMeta(args: {
  plan: TaskPlan;
  screening: InputScreening;
  accepted: Answer;
  tally: Tally;
  reviewAudit?: ReviewAudit;
}): Omit<ResultMeta, 'latencyMs'> {
  const { plan, screening, accepted, tally, reviewAudit } = args;
  const v = accepted.validation;
  return {
    provider: accepted.provider,
    model: accepted.model,
    promptVersion: plan.promptVersion,
    attempts: tally.attempts,
    path: accepted.path,
    reasons: tally.reasons,
    reasonCodes: tally.reasonCodes,
    validation: {
      schema: v?.layers.schema ?? LAST_GOOD,
      rules: v?.layers.rules ?? SKIPPED,
      grounding: v?.layers.grounding ?? SKIPPED,
      moderation: v?.layers.moderation ?? SKIPPED,
      parse: v?.parse ?? 'object',
      ...(accepted.verifier ? { verifier: accepted.verifier } : {}),
      rejected: tally.rejected,
    },
    moderation: { input: screening.report, ...(v ? { output: v.moderation } : {}) },
    tokens: {
      input: tally.usage.input,
      output: tally.usage.output,
      cachedInput: tally.usage.cachedInput,
      estimatedInput: plan.estimatedInputTokens,
    },
    costUsd: Math.round(tally.usage.costUsd * 1e6) / 1e6,
    providerMs: Math.round(tally.usage.providerMs),
    ...(tally.interrupted.calls > 0
      ? {
          interrupted: {
            calls: tally.interrupted.calls,
            costUsd: Math.round(tally.interrupted.costUsd * 1e6) / 1e6,
          },
        }
      : {}),
    ...(accepted.lastGood ? { lastGood: accepted.lastGood } : {}),
    ...(reviewAudit ? { review: reviewAudit } : {}),
    ...(plan.dataPolicy ? { policy: dataPolicyMeta(plan.dataPolicy) } : {}),
  };
}

/** The data policy's verdict as the result reports it (types and rules, never values). */
export function dataPolicyMeta(
  d: NonNullable<TaskPlan['dataPolicy']>,
): NonNullable<ResultMeta['policy']> {
  return {
    dataClass: d.dataClass,
    classes: d.classes,
    declared: d.declared,
    detected: d.detected,
    ...(d.residency ? { residency: d.residency } : {}),
    skipped: d.skipped,
  };
}
