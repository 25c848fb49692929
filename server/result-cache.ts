import type { ResultMeta } from '../shared/contracts/job';
import { canonicalHash } from '../shared/platform/canonical-hash';

/** Longest `options.cacheTtlMs` a caller may ask for (one day). */
export const MAX_CACHE_TTL_MS = 86_400_000;

interface Entry {
  jobId: string;
  output: unknown;
  meta: ResultMeta;
  storedAt: number;
}

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
 * Bounded: at most `maxEntries`, least recently used first out. Memory only, per API process:
 * replicas do not share it and a restart empties it. Keys are SHA-256 digests; values are never
 * logged.
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

  /** Only answers that passed validation on the route are worth repeating. */
  set(key: string, value: { jobId: string; output: unknown; meta: ResultMeta }): void {
    if (this.maxEntries <= 0) return;
    if (value.meta.path !== 'primary' && value.meta.path !== 'fallback') return;
    this.entries.delete(key);
    this.entries.set(key, { ...value, storedAt: this.now() });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
