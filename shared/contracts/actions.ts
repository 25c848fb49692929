/**
 * What happens when a validation layer rejects an answer:
 * - `clamp`: apply the rule's safe repair (e.g. a discount down to the tenant's maximum) and accept;
 * - `re-ask`: ask the same model once more with the failures named, then `next`;
 * - `next`: move on to the next route candidate (then the task's downgrades);
 * - `degrade`: skip the other candidates, go straight to the task's downgrades;
 * - `review`: hold the answer for a person (human review) instead of returning it;
 * - `reject`: fail the task with 422 and the violations.
 *
 * Ordered mildest first. Without zod: task definitions, policies and results all name these,
 * and workflow code may import it.
 */
export const VALIDATION_ACTIONS = [
  'clamp',
  're-ask',
  'next',
  'degrade',
  'review',
  'reject',
] as const;
export type ValidationAction = (typeof VALIDATION_ACTIONS)[number];

/**
 * What a task falls back to when every candidate failed: the last good answer to the same
 * request, the deterministic fallback, or a person (human review, who must write the answer).
 */
export const DOWNGRADES = ['last-good', 'fallback', 'review'] as const;
export type Downgrade = (typeof DOWNGRADES)[number];
