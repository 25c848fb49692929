import type {
  AdmitArgs,
  AdmitVerdict,
  LimitKind,
  LimitReportItem,
  LimitScope,
  ScopeKind,
} from './types';

/** What one scope holds at decision time, as both stores return it (-1: nothing held). */
export interface ScopeSnapshot {
  requests: number;
  oldestRequestAt: number;
  tokens: number;
  oldestTokenAt: number;
  concurrent: number;
  earliestLeaseEnd: number;
}

/** A refusal as both stores return it: which scope (index) and limit, and when it has room. */
export interface Refusal {
  scopeIndex: number;
  limit: LimitKind;
  retryMs: number;
  exceedsQuota: boolean;
}

/** Limit codes shared with the Lua scripts. */
export const LIMIT_CODES: Record<LimitKind, number> = { requests: 1, tokens: 2, concurrency: 3 };
export const LIMIT_BY_CODE: Record<number, LimitKind> = {
  1: 'requests',
  2: 'tokens',
  3: 'concurrency',
};

/** -1 for unlimited: how the stores receive a spec. */
export function limitsOf(scope: LimitScope): [number, number, number] {
  const { requestsPerMinute: r, tokensPerMinute: t, concurrentTasks: c } = scope.spec;
  return [r ?? -1, t ?? -1, c ?? -1];
}

/** Whole seconds, at least 1 (Retry-After). */
export const toRetryS = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
const toResetS = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

export function assertAdmitArgs(args: AdmitArgs): void {
  if (!Number.isSafeInteger(args.tokens) || args.tokens < 0)
    throw new RangeError('tokens must be a non-negative integer');
  if (!Number.isSafeInteger(args.leaseMs) || args.leaseMs <= 0)
    throw new RangeError('leaseMs must be a positive integer');
  if (!args.leaseId) throw new RangeError('leaseId is required');
  for (const s of args.scopes) {
    for (const v of limitsOf(s))
      if (v !== -1 && (!Number.isSafeInteger(v) || v < 0))
        throw new RangeError(`limits of ${s.kind} must be non-negative integers`);
  }
}

export function assertTokens(actualTokens: number): void {
  if (!Number.isSafeInteger(actualTokens) || actualTokens < 0)
    throw new RangeError('actualTokens must be a non-negative integer');
}

/** The report of every limit set on the scopes (unlimited ones are left out). */
export function buildReport(
  scopes: LimitScope[],
  snaps: ScopeSnapshot[],
  now: number,
  windowMs: number,
  refusal?: Refusal,
): LimitReportItem[] {
  const windowS = Math.round(windowMs / 1000);
  const items: LimitReportItem[] = [];
  scopes.forEach((scope, i) => {
    const snap = snaps[i];
    if (!snap) return;
    const [r, t, c] = limitsOf(scope);
    const refused = (limit: LimitKind): boolean =>
      refusal !== undefined && refusal.scopeIndex === i && refusal.limit === limit;
    const item = (
      limit: LimitKind,
      quota: number,
      used: number,
      freeAt: number,
      windowed: boolean,
    ): LimitReportItem => ({
      scope: scope.kind,
      limit,
      quota,
      ...(windowed ? { windowS } : {}),
      remaining: Math.max(0, quota - used),
      resetS: refused(limit) ? toRetryS(refusal!.retryMs) : freeAt < 0 ? 0 : toResetS(freeAt - now),
    });
    if (r >= 0)
      items.push(
        item(
          'requests',
          r,
          snap.requests,
          snap.oldestRequestAt < 0 ? -1 : snap.oldestRequestAt + windowMs,
          true,
        ),
      );
    if (t >= 0)
      items.push(
        item(
          'tokens',
          t,
          snap.tokens,
          snap.oldestTokenAt < 0 ? -1 : snap.oldestTokenAt + windowMs,
          true,
        ),
      );
    if (c >= 0) items.push(item('concurrency', c, snap.concurrent, snap.earliestLeaseEnd, false));
  });
  return items;
}

export function verdictOf(
  args: AdmitArgs,
  snaps: ScopeSnapshot[],
  now: number,
  windowMs: number,
  outcome: { refusal?: Refusal; alreadyAdmitted?: boolean },
): AdmitVerdict {
  const { refusal } = outcome;
  const report = buildReport(args.scopes, snaps, now, windowMs, refusal);
  if (!refusal)
    return { ok: true, alreadyAdmitted: outcome.alreadyAdmitted ?? false, report, at: now };
  const scope: ScopeKind = args.scopes[refusal.scopeIndex]?.kind ?? 'tenant';
  return {
    ok: false,
    scope,
    limit: refusal.limit,
    retryAfterS: toRetryS(refusal.retryMs),
    exceedsQuota: refusal.exceedsQuota,
    report,
    at: now,
  };
}

/** Of two refusals, the one to report: a quota that can never pass first, then the later one. */
export function worse(a: Refusal | undefined, b: Refusal): Refusal {
  if (!a) return b;
  if (a.exceedsQuota !== b.exceedsQuota) return a.exceedsQuota ? a : b;
  return b.retryMs > a.retryMs ? b : a;
}
