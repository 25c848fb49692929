/**
 * Route reasons: why a route's first candidate did not answer (a fallback) or why the route gave
 * up (a degradation), as a fixed, stable vocabulary. The workflow decides a line's code where it
 * writes the line (workflows/pipeline/tally.ts `note`), the result carries the codes beside its
 * human-readable `meta.reasons` (`meta.reasonCodes`), and the fallback and degradation metrics
 * read the codes (shared/platform/metric-labels.ts), never the wording. Workflow-safe.
 */

export const ROUTE_REASONS = [
  'rate-limit',
  'overloaded',
  'server-error',
  'timeout',
  'connection',
  'circuit-open',
  'budget',
  'content-filter',
  'context-length',
  'provider-error',
  'invalid-answer',
  'data-policy',
  'limit-reached',
  'hedge',
  'hard-timeout',
  'review-deadline',
  'other',
] as const;
export type RouteReason = (typeof ROUTE_REASONS)[number];

/** Why a planned candidate is skipped without a call (`PlannedCandidate.skipCode`). */
export type SkipReason = Extract<RouteReason, 'circuit-open' | 'data-policy' | 'limit-reached'>;

/**
 * Failure types (shared/contracts/errors.ts) and the SDK's activity timeout (`TimeoutFailure`),
 * by route reason. A failed call's type not listed here is `other`.
 */
const BY_FAILURE: Readonly<Record<string, RouteReason>> = {
  RateLimit: 'rate-limit',
  Overloaded: 'overloaded',
  ServerError: 'server-error',
  Timeout: 'timeout',
  TimeoutFailure: 'timeout',
  Connection: 'connection',
  CircuitOpen: 'circuit-open',
  BudgetExceeded: 'budget',
  ContentFilter: 'content-filter',
  ContextLength: 'context-length',
  Auth: 'provider-error',
  BadRequest: 'provider-error',
  NotFound: 'provider-error',
  QuotaExceeded: 'provider-error',
  UnknownModel: 'provider-error',
  UnknownProvider: 'provider-error',
};

/** A failed call's route reason, from its failure type (or the error's name). */
export function routeReasonOfFailure(type: string | undefined): RouteReason {
  return (type !== undefined && BY_FAILURE[type]) || 'other';
}

/**
 * LEGACY FALLBACK ONLY: a route reason parsed from the wording of one `meta.reasons` line. For
 * what was written before the codes existed: results recorded without `reasonCodes`, and plans
 * recorded in a history before candidates carried `skipCode`. Never call it for new lines (decide
 * the code where the line is written); never extend it. The wording it knows, as workflows wrote
 * it: `<provider:model> <failure type>: …`, `<ref> failed <layer>: … → <action>`,
 * `<ref> circuit open`, `<ref> policy: …`, `<ref> not called: …`, `hedged: …`,
 * `hard timeout: …`, `review deadline passed: …`. Lines about something else (a verifier or
 * injection check failing open, the last good answer served): undefined.
 */
export function legacyRouteReasonOf(line: string): RouteReason | undefined {
  if (line.startsWith('hedged:')) return 'hedge';
  if (line.startsWith('hard timeout:')) return 'hard-timeout';
  if (line.startsWith('review deadline passed')) return 'review-deadline';
  const rest = /^\S+:\S+ (.+)$/s.exec(line)?.[1];
  if (rest === undefined) return undefined;
  if (rest === 'circuit open') return 'circuit-open';
  if (rest.startsWith('policy:')) return 'data-policy';
  if (rest.startsWith('not called:')) return 'limit-reached';
  if (rest.startsWith('failed ')) return 'invalid-answer';
  return routeReasonOfFailure(/^[A-Za-z]+/.exec(rest)?.[0]);
}
