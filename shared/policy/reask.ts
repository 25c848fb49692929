/**
 * Re-ask or next candidate, per failure type: the one decision table. The validation activity
 * reads it to set `failed.action`; rendering reads it to decide how much of the rejected answer a
 * re-ask carries. Pure and workflow-safe.
 */
import type { ValidationAction } from '../contracts/actions';
import type { Issue, ValidationLayer } from '../contracts/job';

/** Why an answer was rejected, finer than the validation layer. */
export const FAILURE_KINDS = [
  'parse',
  'truncated',
  'schema',
  'rule',
  'grounding',
  'moderation',
  'refusal',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** How much of the rejected answer a re-ask sends back to the model. */
export type ReaskEcho = 'none' | 'fields';

export interface ReaskChoice {
  /** What a default (or declared) `re-ask` becomes for this kind. */
  readonly action: 're-ask' | 'next';
  /** `none`: a fresh ask with the problems named; `fields`: plus the offending values only. */
  readonly echo: ReaskEcho;
}

/**
 * Measured with `npx tsx bench/reask.ts` (every mock-upstream scenario to Keel, route scenario →
 * `ok`, 4 requests each, classify-ticket; 2026-12-06). Re-ask success: parse (invalid-json) 4/4,
 * truncated 4/4, grounding (fabricated-citation) 4/4, moderation (toxic-output) 4/4; a refusal
 * is never re-asked (the mock refuses any re-ask by construction); the next candidate answers 4/4. Billed tokens
 * per valid answer, echoing the whole answer → this table: 340 → 290, 295 → 268, 381 → 316,
 * 350 → 292 (a fresh ask: 126); the whole mix 1.51× → 1.45× the fault-free run. The mock model
 * corrects itself whenever told, so these rates show a slim re-ask suffices, not how often a real
 * model recovers. docs/reask-policy.md says what each choice buys.
 *
 * A task's own non-`re-ask` action (a rule declared `next`, `review`, `reject`) always wins.
 */
export const REASK_POLICY: Readonly<Record<FailureKind, ReaskChoice>> = {
  /** No JSON, invalid JSON, JSON cut off: the broken text teaches nothing; name the problem. */
  parse: { action: 're-ask', echo: 'none' },
  /** Cut at the token limit (finish reason `length`): ask again, briefly; nothing to edit. */
  truncated: { action: 're-ask', echo: 'none' },
  /** Wrong type, missing field, a value outside an enum: the offending values show the fix. */
  schema: { action: 're-ask', echo: 'fields' },
  /** A business rule: the fields the rule names, so the model edits rather than regenerates. */
  rule: { action: 're-ask', echo: 'fields' },
  /** A claim the input does not support: the claim's field. */
  grounding: { action: 're-ask', echo: 'fields' },
  /** PII or profanity the input did not have: the field, to rewrite just that text. */
  moderation: { action: 're-ask', echo: 'fields' },
  /** The vendor refused (a call failure, decided in the call): the same prompt is refused again. */
  refusal: { action: 'next', echo: 'none' },
};

/** The failure kind of a rejected answer, from its layer, issues and the call's finish reason. */
export function failureKindOf(
  layer: ValidationLayer,
  issues: readonly Issue[],
  finishReason?: string,
): FailureKind {
  if (layer === 'schema') {
    if (finishReason === 'length') return 'truncated';
    return issues.some((i) => i.rule === 'parse') ? 'parse' : 'schema';
  }
  if (layer === 'rules') return 'rule';
  return layer;
}

/** What a layer's declared action becomes: only a `re-ask` is subject to the table. */
export function reaskAction(kind: FailureKind, declared: ValidationAction): ValidationAction {
  return declared === 're-ask' ? REASK_POLICY[kind].action : declared;
}
