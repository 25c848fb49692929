/** The limits of one tenant or one API key. An absent field means unlimited. */
export interface LimitSpec {
  /** Admissions in any window of `windowMs` (60 s by default). */
  requestsPerMinute?: number;
  /** Tokens (reserved, then settled to the actual usage) in any window of `windowMs`. */
  tokensPerMinute?: number;
  /** Leases held at once (admitted, not released, not expired). */
  concurrentTasks?: number;
}

export const SCOPE_KINDS = ['tenant', 'key'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

export const LIMIT_KINDS = ['requests', 'tokens', 'concurrency'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

/** One party whose limits an admission must pass: the tenant, or one of its keys. */
export interface LimitScope {
  kind: ScopeKind;
  id: string;
  spec: LimitSpec;
}

export interface AdmitArgs {
  /** Every scope must pass; a refusal by one takes nothing from the others (all or nothing). */
  scopes: LimitScope[];
  /** Reserved in the token window: estimated input tokens + maximum output tokens. */
  tokens: number;
  /** The job id: the concurrency slot and the token reservation are held under it. */
  leaseId: string;
  /** A lease not released by then stops counting (its process died): the task's hard timeout. */
  leaseMs: number;
  /** Clock override in ms (tests). Default: Redis's clock in Redis mode, Date.now() in memory. */
  now?: number;
}

/** Where one limit of one scope stands, enough for the RateLimit header fields. */
export interface LimitReportItem {
  scope: ScopeKind;
  limit: LimitKind;
  quota: number;
  /** The window in seconds; absent for concurrency (not a rate). */
  windowS?: number;
  /** Units left now (after this admission when it was admitted). */
  remaining: number;
  /**
   * Seconds until at least one more unit is free at the latest: the oldest entry leaves the
   * window, or (concurrency) the earliest lease expires. 0 when nothing is held.
   */
  resetS: number;
}

export type AdmitVerdict =
  | {
      ok: true;
      /** The lease was live already: admitted earlier, nothing taken again. */
      alreadyAdmitted: boolean;
      report: LimitReportItem[];
      /** The clock the decision was made at (ms). */
      at: number;
    }
  | {
      ok: false;
      /** The refusing scope and limit; when several refuse, the one that frees last. */
      scope: ScopeKind;
      limit: LimitKind;
      /**
       * ≥ 1: whole seconds after which the refusing limits have room, given what is held now
       * (a release or an expiring lease may free room sooner; nothing else admitted meanwhile).
       */
      retryAfterS: number;
      /** The request alone exceeds the quota (tokens > tokensPerMinute, or a quota of 0): it never passes. */
      exceedsQuota: boolean;
      report: LimitReportItem[];
      at: number;
    };

/** What one scope holds now. */
export interface ScopeState {
  /** Admissions in the window. */
  requests: number;
  /** Tokens in the window: unsettled reservations plus settled usage. */
  tokens: number;
  /** Live leases. */
  concurrent: number;
}

export interface Clock {
  /** Clock override in ms (tests); see `AdmitArgs.now`. */
  now?: number;
}

export interface Limiter {
  admit(args: AdmitArgs): Promise<AdmitVerdict>;
  /**
   * Records `actualTokens` of one model call under the lease, at the time of the call: that many
   * tokens of the lease's remaining reservation are turned into usage (the reservation shrinks,
   * floored at 0), so the window holds usage + what is still reserved. Call once per model call
   * (retries, re-asks and hedges included). Usage beyond the reservation is added in full. A
   * lease unknown or forgotten (released or expired more than a window plus a minute ago) is
   * ignored: returns false.
   */
  settle(leaseId: string, actualTokens: number, clock?: Clock): Promise<boolean>;
  /**
   * The task ended: frees the concurrency slot and drops what is left of the reservation, so the
   * window holds the actual usage only. Idempotent; returns false for an unknown lease.
   */
  release(leaseId: string, clock?: Clock): Promise<boolean>;
  state(scope: Pick<LimitScope, 'kind' | 'id'>, clock?: Clock): Promise<ScopeState>;
  close(): Promise<void>;
}

export interface LimiterOptions {
  /** Redis URL (`KEEL_REDIS_URL`): limits shared by every replica. Absent: process memory. */
  redisUrl?: string;
  /** Prefix of every Redis key. @default 'keel:limits' */
  prefix?: string;
  /** The window of the per-minute limits (smaller in tests). @default 60_000 */
  windowMs?: number;
  /**
   * Redis connection errors as they happen (for a log line or a metric); the calls made while
   * Redis is unreachable reject as well. @default ignored
   */
  onError?: (err: Error) => void;
}
