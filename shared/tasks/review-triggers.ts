import type { ResolvedPolicy } from '../policy/resolve-policy';
import type { TaskOptions } from '../contracts/job';
import type { AnyTaskDefinition } from './task-definition';

/**
 * Whether a request can end up waiting for a person, from what is known before it runs: the
 * caller's option, and every place a task or policy can say `review` (a rule's or layer's
 * validation action, an input or output moderation action, a downgrade). The API watches a
 * synchronous request for `awaiting_review` only when this is true — a watch costs a `describe`
 * every 250 ms per waiting request, which under load is most of Temporal's work.
 */
export function mayNeedReview(
  task: AnyTaskDefinition,
  policy: ResolvedPolicy,
  options: Pick<TaskOptions, 'review' | 'allowDegraded'>,
): boolean {
  if (options.review === 'always') return true;
  const actions = [
    ...(task.rules ?? []).map((rule) => policy.actions[rule.id] ?? rule.action),
    ...Object.values(task.onFailure ?? {}),
    ...Object.values(policy.actions),
  ];
  if (actions.includes('review')) return true;
  const m = policy.moderation;
  if ([m.input.injection, m.input.toxicity, m.output.toxicity].includes('review')) return true;
  const degrade = options.allowDegraded === false ? [] : (policy.degrade ?? task.degrade ?? []);
  return degrade.includes('review');
}
