import Redis from 'ioredis';
import { MAX_CACHE_TTL_MS, type CacheHit, type CachedAnswer } from './result-cache';

export const DEFAULT_CACHE_PREFIX = 'keel:cache';

/**
 * Every entry lives in Redis as long as the memory cache may keep one (a day, `MAX_CACHE_TTL_MS`),
 * whatever the storing caller's `cacheTtlMs`: which age is acceptable is each reader's choice, as
 * in memory. Redis drops it then (PX); a fixed lifetime also gives each entry's age on Redis's own
 * clock (lifetime − PTTL), the same for every replica whatever their clocks say.
 */
const ENTRY_PX = MAX_CACHE_TTL_MS;

/** The entry and its remaining lifetime in one round trip, atomically. */
const GET_WITH_PTTL = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}
`;

type CacheRedis = Redis & { keelCacheGet(key: string): Promise<[string, number] | null> };

export interface RedisResultCacheOptions {
  redisUrl: string;
  /** Key prefix; an entry is `<prefix>:<sha256 hex>`. @default 'keel:cache' */
  prefix?: string;
  /**
   * A command not answered within this is a miss (or a skipped store): a hung Redis costs a
   * request at most this, twice (lookup, store). Generous, so a busy event loop is not a miss.
   * @default 250
   */
  commandTimeoutMs?: number;
  /** Connection and command errors; each one is also a miss. Values are never passed here. */
  onError?: (err: Error) => void;
}

/**
 * `ResultCache`'s rules in Redis, shared by every API replica: the same SHA-256 keys (tenant, task,
 * prompt version, route, allowDegraded, input), an entry served when its age is within the
 * reader's `cacheTtlMs`. A lookup costs one EVALSHA (GET + PTTL). Redis failing never fails a
 * request: no offline queue (a command while disconnected fails at once), a command timeout, and
 * every error resolves as a miss.
 */
export class RedisResultCache {
  private readonly redis: CacheRedis;
  private readonly prefix: string;
  private readonly onError: (err: Error) => void;

  constructor(opts: RedisResultCacheOptions) {
    this.prefix = `${opts.prefix ?? DEFAULT_CACHE_PREFIX}:`;
    this.onError = opts.onError ?? ((): void => {});
    this.redis = new Redis(opts.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 250,
      connectTimeout: 2_000,
    }) as CacheRedis;
    this.redis.defineCommand('keelCacheGet', { numberOfKeys: 1, lua: GET_WITH_PTTL });
    this.redis.on('error', (err: Error) => this.onError(err));
  }

  /** Resolves true once connected, false after `timeoutMs` (lookups miss until it connects). */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const onReady = (): void => done(true);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      this.redis.once('ready', onReady);
    });
  }

  async get(key: string, ttlMs: number): Promise<CacheHit | undefined> {
    try {
      const found = await this.redis.keelCacheGet(this.prefix + key);
      if (!found) return undefined;
      const [json, pttl] = found;
      const ageMs = ENTRY_PX - pttl;
      // pttl < 0: the entry expired between GET and PTTL, or was written without our PX.
      if (pttl < 0 || ageMs > ttlMs) return undefined;
      const answer = JSON.parse(json) as Partial<CachedAnswer> | null;
      if (typeof answer?.jobId !== 'string' || typeof answer.meta !== 'object' || !answer.meta)
        throw new Error('unreadable result cache entry');
      return { jobId: answer.jobId, output: answer.output, meta: answer.meta, ageMs };
    } catch (err) {
      this.onError(asError(err));
      return undefined;
    }
  }

  /** Stores the answer's JSON (`JSON.stringify(CachedAnswer)`, checked by the caller). */
  async set(key: string, json: string): Promise<void> {
    try {
      await this.redis.set(this.prefix + key, json, 'PX', ENTRY_PX);
    } catch (err) {
      this.onError(asError(err));
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/**
 * One log line per burst of errors: the first error is reported at once, the ones within
 * `quietMs` after it are only counted, and the next report says how many there were. An outage
 * that lasts is reported once per `quietMs`, not once per request.
 */
export function oncePerBurst(
  report: (err: Error, suppressed: number) => void,
  opts: { quietMs: number; now?: () => number },
): (err: Error) => void {
  const now = opts.now ?? Date.now;
  let reportedAt = -Infinity;
  let suppressed = 0;
  return (err) => {
    const t = now();
    if (t - reportedAt < opts.quietMs) {
      suppressed++;
      return;
    }
    report(err, suppressed);
    reportedAt = t;
    suppressed = 0;
  };
}
