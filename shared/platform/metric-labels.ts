import type { Issue, ResultMeta } from '../contracts/job';
import type { BreakerStateName } from '../policy/breaker';
import { legacyRouteReasonOf, type RouteReason } from '../contracts/route-reasons';
import { findTask } from '../tasks';

/**
 * Pure mappings from what a task produced to the bounded label values of Keel's metrics
 * (shared/platform/metrics.ts): a validation failure's rule, why a route fell back or degraded, a
 * breaker's state as a number. Every value comes from a fixed list; anything else is `other`.
 * Route reasons are codes the workflow decided (shared/contracts/route-reasons.ts), not wording.
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

/**
 * Each line's route reason: the codes the workflow wrote beside the lines (`meta.reasonCodes`,
 * null for a line that is no route reason). A result recorded before the codes existed (no
 * `reasonCodes`, or not one per line) falls back to the LEGACY parse of the lines' wording.
 */
export function routeReasonsOf(
  meta: Pick<ResultMeta, 'reasons' | 'reasonCodes'>,
): (RouteReason | undefined)[] {
  const codes = meta.reasonCodes;
  if (codes && codes.length === meta.reasons.length) return codes.map((c) => c ?? undefined);
  return meta.reasons.map(legacyRouteReasonOf);
}

/**
 * Whether an answer took a fallback or a degraded path, and why: a fallback by the first route
 * reason (what stopped the first candidate), a degradation by the last one (what made the route
 * give up; a hedge's line says nothing there). A degradation to a person (the `review` downgrade:
 * provider `review`, model `human`) is a degradation too. Primary, cache and reviewed answers: none.
 */
export function pathEvent(
  meta: Pick<ResultMeta, 'path' | 'provider' | 'model' | 'reasons' | 'reasonCodes'>,
): { kind: 'fallback' | 'degradation'; reason: RouteReason } | undefined {
  const reasons = routeReasonsOf(meta);
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
