import { describe, expect, it } from 'vitest';
import { resolvePolicy, type PolicyPatch } from '../../shared/policy/resolve-policy';
import { findTask } from '../../shared/tasks';
import { mayNeedReview } from '../../shared/tasks/review-triggers';

const task = findTask('classify-ticket')!;
const policy = (patch?: PolicyPatch) =>
  resolvePolicy({
    config: patch ? { default: patch } : undefined,
    tenantId: 't',
    task: task.name,
    taskDefaults: task.policy,
  });

describe('mayNeedReview', () => {
  it('is false for the built-in policy: sync requests are not watched', () => {
    expect(mayNeedReview(task, policy(), {})).toBe(false);
  });

  it.each<[string, PolicyPatch | undefined, { review?: 'always'; allowDegraded?: boolean }]>([
    ['the caller asks', undefined, { review: 'always' }],
    ['a rule action', { actions: { 'confidence-at-least-tenant-minimum': 'review' } }, {}],
    ['a layer action', { actions: { grounding: 'review' } }, {}],
    ['input moderation', { moderation: { input: { injection: 'review' } } }, {}],
    ['output moderation', { moderation: { output: { toxicity: 'review' } } }, {}],
    ['a downgrade', { degrade: ['last-good', 'review'] }, {}],
  ])('is true when %s can say review', (_why, patch, options) => {
    expect(mayNeedReview(task, policy(patch), options)).toBe(true);
  });

  it('ignores a review downgrade when the caller refuses degraded answers', () => {
    expect(mayNeedReview(task, policy({ degrade: ['review'] }), { allowDegraded: false })).toBe(
      false,
    );
  });
});
