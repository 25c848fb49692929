import type { ResultMeta } from '../shared/contracts/job';
import { canonicalHash } from '../shared/platform/canonical-hash';

/** Longest `options.cacheTtlMs` a caller may ask for (one day); no entry is kept longer. */
export const MAX_CACHE_TTL_MS = 86_400_000;

/** Largest answer kept, as JSON (`{jobId, output, meta}`); a larger one is not cached. */
export const MAX_CACHED_RESULT_BYTES = 65_536;

/** What an entry holds: the answer as its job produced it. */
export interface CachedAnswer {
  jobId: string;
  output: unknown;
  meta: ResultMeta;
}

interface Entry extends CachedAnswer {
  storedAt: number;
}

/** Only answers that passed validation on the route are worth repeating. */
export const isCacheable = (meta: ResultMeta): boolean =>
  meta.path === 'primary' || meta.path === 'fallback';

export interface CacheHit {
  jobId: string;
  output: unknown;
  meta: ResultMeta;
  ageMs: number;
}

/**
 * Validated answers kept in the API process, so an identical request (same tenant, task, prompt
 * version, input and route) within the caller's `options.cacheTtlMs` is answered without a
 * workflow: about a millisecond instead of a round of Temporal tasks. Opt-in per request; the
 * answer still comes from a durable, recorded job (its id is in `meta.cache.jobId`).
 *
 * Bounded: at most `maxEntries`, least recently used first out. Per API process: replicas do not
 * share it and a restart empties it (with KEEL_REDIS_URL, `RedisResultCache` is used instead,
 * same keys and rules). Keys are SHA-256 digests; values are never logged.
 */
export class ResultCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  static key(parts: {
    tenantId: string;
    task: string;
    promptVersion: string;
    input: unknown;
    route?: readonly string[];
    allowDegraded?: boolean;
  }): string {
    return canonicalHash([
      parts.tenantId,
      parts.task,
      parts.promptVersion,
      parts.route ?? null,
      parts.allowDegraded ?? null,
      parts.input,
    ]);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string, ttlMs: number): CacheHit | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const ageMs = this.now() - entry.storedAt;
    if (ageMs > ttlMs || ageMs > MAX_CACHE_TTL_MS) {
      if (ageMs > MAX_CACHE_TTL_MS) this.entries.delete(key);
      return undefined;
    }
    // Most recently used goes last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return { jobId: entry.jobId, output: entry.output, meta: entry.meta, ageMs };
  }

  set(key: string, value: CachedAnswer): void {
    if (this.maxEntries <= 0 || !isCacheable(value.meta)) return;
    this.entries.delete(key);
    this.entries.set(key, { ...value, storedAt: this.now() });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
