import { z } from 'zod';
import { ReviewAudit, ReviewDecisionKind } from './job';

export { ReviewAudit, ReviewDecisionKind };

/**
 * Human review: a task whose answer a person must see waits, durably, for a decision sent as a
 * Temporal Update. An update (not a signal) because the caller needs an answer: an edited output
 * that fails validation is refused (422) and the task keeps waiting; a second decision is refused
 * (409); a decision that is accepted is acknowledged only once it is in the history. The last
 * deadline and a decision exclude each other: once it has passed, a decision is refused (nothing
 * is pending any more), and one accepted before it is honoured even if its audit ends later. A
 * decision whose audit fails decides nothing: the next one is accepted.
 */

export const ReviewDecisionBody = z
  .object({
    decision: ReviewDecisionKind,
    output: z.unknown().optional().describe('The corrected output; required for `edit`.'),
    comment: z.string().trim().max(2_000).optional(),
  })
  .strict()
  .refine((d) => d.decision !== 'edit' || d.output !== undefined, {
    message: 'required when the decision is edit',
    path: ['output'],
  });
export type ReviewDecisionBody = z.infer<typeof ReviewDecisionBody>;

/** Review deadlines per task (minutes to days); the escalation group gets a second one. */
export const ReviewPolicy = z
  .object({
    deadlineMs: z
      .number()
      .int()
      .min(1_000)
      .max(30 * 24 * 3_600_000),
    escalationDeadlineMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3_600_000),
    /** After both deadlines: serve the proposed answer as degraded, or fail the task. */
    onExpiry: z.enum(['degrade', 'reject']),
  })
  .strict();
export type ReviewPolicy = z.infer<typeof ReviewPolicy>;

export const DEFAULT_REVIEW_POLICY: ReviewPolicy = {
  deadlineMs: 24 * 3_600_000,
  escalationDeadlineMs: 24 * 3_600_000,
  onExpiry: 'degrade',
};
