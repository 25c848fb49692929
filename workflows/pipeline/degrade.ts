import { workflowInfo } from '@temporalio/workflow';
import { findLastGood } from './proxies';
import { attemptCandidate, rejectionOf, type Answer, type AttemptContext } from './attempt';
import { note } from './tally';

/**
 * Semantic downgrade, as the task's policy orders it (`last-good`, `review`, `fallback`), once
 * every candidate failed or the hard timeout passed. The answer is marked as degraded (or review).
 */
export async function degrade(ctx: AttemptContext): Promise<Answer | undefined> {
  const { request, plan, job, tally } = ctx;
  for (const kind of plan.degrade) {
    let answer: Answer | undefined;
    if (kind === 'last-good') {
      const last = await findLastGood({
        tenantId: request.tenantId,
        inputKey: plan.inputKey,
        excludeJobId: workflowInfo().workflowId,
      });
      if (last) {
        note(
          tally,
          null,
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
      const outcome = await attemptCandidate(ctx, plan.fallback, 'degraded').catch(job.fail);
      if ('answer' in outcome) answer = outcome.answer;
      else if (outcome.next === 'reject') job.fail(rejectionOf(outcome.issues));
    }
    if (answer) return answer;
  }
  return undefined;
}
