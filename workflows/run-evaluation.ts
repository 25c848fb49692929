import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type {
  EvaluateAnswerArgs,
  EvaluationOutcome,
} from '../activities/evaluation/evaluation-activities';

/**
 * Loading the live job waits for it to close (it has recorded its answer, so that is at once);
 * then the verifier's calls within their own timeouts. Two attempts: an evaluation is a sample, a
 * lost one is a smaller sample, not a failure anyone waits on.
 */
const { evaluateAnswer, recordEvaluation } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 2, initialInterval: '5 seconds' },
});

export type RunEvaluationArgs = EvaluateAnswerArgs;

/**
 * Sampled evaluation of one live answer (docs/evaluation.md), on the background queue at the
 * lowest priority: a verifier model scores its faithfulness to the input and output moderation
 * checks it; only the verdicts (flags and numbers) are kept. Nothing here reaches the caller, the
 * job's events, its usage or webhooks.
 */
export async function runEvaluation(
  args: RunEvaluationArgs,
): Promise<EvaluationOutcome | { skipped: string }> {
  const outcome = await evaluateAnswer(args);
  if (!('skipped' in outcome)) await recordEvaluation(outcome);
  return outcome;
}
