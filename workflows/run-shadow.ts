import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ShadowOutcome } from '../activities/experiments/shadow-activities';

/**
 * Loading the live job waits for it to close (it has recorded its answer, so that is at once);
 * then one unbilled call of the candidate within its own timeout. Two attempts: a shadow is a
 * sample, a lost one is a smaller sample, not a failure anyone waits on.
 */
const { shadowCompare, recordShadow } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 2, initialInterval: '5 seconds' },
});

export interface RunShadowArgs {
  experimentId: string;
  /** The live job (its workflow id): the request and answer are loaded by it, never copied here. */
  jobId: string;
}

/**
 * A shadow test of one live job (docs/experiments.md), on the background queue at the lowest
 * priority: the candidate prompt and/or model answers the same request, its answer is compared
 * with the live one and only the comparison (flags and numbers) is kept. Nothing here reaches
 * the caller, the job's events or webhooks.
 */
export async function runShadow(args: RunShadowArgs): Promise<ShadowOutcome | { skipped: string }> {
  const outcome = await shadowCompare(args);
  if (!('skipped' in outcome)) await recordShadow(outcome);
  return outcome;
}
