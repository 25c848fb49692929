import type { Issue, ResultMeta } from '../contracts/job';
import type { BreakerStateName } from '../policy/breaker';
import { findTask } from '../tasks';

/**
 * Pure mappings from what a task produced to the bounded label values of Keel's metrics
 * (shared/platform/metrics.ts): a validation failure's rule, why a route fell back or degraded, a
 * breaker's state as a number. Every value comes from a fixed list; anything else is `other`.
 */

/** Rule ids every task may report besides its own business rules (activities/guards/validation.ts). */
const COMMON_RULES: ReadonlySet<string> = new Set([
  'parse',
  'grounding',
  'output-pii',
  'output-toxicity',
]);

/**
 * The rule of a failed answer: its first issue's rule id when the task declares it (or it is one
 * every task may report), `schema` for a schema issue (those name a field, not a rule), else
 * `other`. One answer, one rule: the first broken one, in the order the task checks them.
 */
export function ruleLabel(task: string, layer: string, issues: readonly Issue[]): string {
  const rule = issues[0]?.rule;
  if (rule === undefined) return layer === 'schema' ? 'schema' : 'other';
  if (COMMON_RULES.has(rule)) return rule;
  return findTask(task)?.rules?.some((r) => r.id === rule) ? rule : 'other';
}

/** Why a route's first candidate did not answer (fallback), or why the route gave up (degradation). */
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

/** Failure types (shared/contracts/errors.ts) and the activity timeout, by route reason. */
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

/**
 * One line of a result's `meta.reasons`, as the workflow writes them (workflows/run-task.ts,
 * workflows/pipeline/attempt.ts, hedge.ts): `<provider:model> <failure type>: …`,
 * `<ref> failed <layer>: … → <action>`, `<ref> circuit open`, `<ref> policy: …`,
 * `<ref> not called: …`, `hedged: …`, `hard timeout: …`, `review deadline passed: …`. Lines about
 * something else (a verifier or injection check failing open, the last good answer served) are
 * no route reason: undefined.
 */
export function routeReasonOf(line: string): RouteReason | undefined {
  if (line.startsWith('hedged:')) return 'hedge';
  if (line.startsWith('hard timeout:')) return 'hard-timeout';
  if (line.startsWith('review deadline passed')) return 'review-deadline';
  const rest = /^\S+:\S+ (.+)$/s.exec(line)?.[1];
  if (rest === undefined) return undefined;
  if (rest === 'circuit open') return 'circuit-open';
  if (rest.startsWith('policy:')) return 'data-policy';
  if (rest.startsWith('not called:')) return 'limit-reached';
  if (rest.startsWith('failed ')) return 'invalid-answer';
  const type = /^[A-Za-z]+/.exec(rest)?.[0] ?? '';
  return BY_FAILURE[type] ?? 'other';
}

/**
 * Whether an answer took a fallback or a degraded path, and why: a fallback by the first route
 * reason (what stopped the first candidate), a degradation by the last one (what made the route
 * give up; a hedge's line says nothing there). A degradation to a person (the `review` downgrade:
 * provider `review`, model `human`) is a degradation too. Primary, cache and reviewed answers: none.
 */
export function pathEvent(
  meta: Pick<ResultMeta, 'path' | 'provider' | 'model' | 'reasons'>,
): { kind: 'fallback' | 'degradation'; reason: RouteReason } | undefined {
  const reasons = meta.reasons.map(routeReasonOf);
  if (meta.path === 'fallback') {
    return { kind: 'fallback', reason: reasons.find((r) => r !== undefined) ?? 'other' };
  }
  const toPerson = meta.path === 'review' && meta.provider === 'review' && meta.model === 'human';
  if (meta.path !== 'degraded' && !toPerson) return undefined;
  const last = reasons.filter((r) => r !== undefined && r !== 'hedge').at(-1);
  return { kind: 'degradation', reason: last ?? 'other' };
}

/** `keel_breaker_state`'s value for a breaker state. */
export function breakerStateValue(state: BreakerStateName): number {
  return state === 'closed' ? 0 : state === 'half_open' ? 1 : 2;
}
