import { createMemoryLimiter } from './memory-limiter';
import { createRedisLimiter } from './redis-limiter';
import type { Limiter, LimiterOptions } from './types';

export type {
  AdmitArgs,
  AdmitVerdict,
  Clock,
  LimitKind,
  LimitReportItem,
  LimitScope,
  LimitSpec,
  Limiter,
  LimiterOptions,
  ScopeKind,
  ScopeState,
} from './types';
export { LIMIT_KINDS, SCOPE_KINDS } from './types';
export { rateLimitHeaders } from './headers';

export const DEFAULT_LIMITS_PREFIX = 'keel:limits';
export const DEFAULT_WINDOW_MS = 60_000;

/**
 * Exact requests-, tokens-per-minute and concurrency limits (docs/limits.md): in Redis when
 * `redisUrl` is set (every replica shares them), in process memory otherwise (one API process).
 */
export function createLimiter(opts: LimiterOptions = {}): Limiter {
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  if (!Number.isSafeInteger(windowMs) || windowMs < 1_000)
    throw new RangeError('windowMs must be an integer ≥ 1000');
  return opts.redisUrl
    ? createRedisLimiter({
        redisUrl: opts.redisUrl,
        prefix: opts.prefix ?? DEFAULT_LIMITS_PREFIX,
        windowMs,
        ...(opts.onError ? { onError: opts.onError } : {}),
      })
    : createMemoryLimiter({ windowMs });
}
