import { Inject, Injectable } from '@nestjs/common';
import { ResultPath, type RunTaskRequest, type RunTaskResult } from '../shared/contracts/job';
import type { KeelConfig } from '../shared/platform/config';
import type { AnyTaskDefinition } from '../shared/tasks';
import { ResultCache, type CacheHit } from './result-cache';
import { CONFIG } from './tokens';

/** The cache slot of one request: absent when the caller did not opt in. */
export interface CacheSlot {
  key: string;
  ttlMs: number;
}

/**
 * `options.cacheTtlMs`: an identical earlier request's validated answer, served without a
 * workflow (see `ResultCache`). A person must see every answer under review: those never come
 * from the cache.
 */
@Injectable()
export class TaskCache {
  private readonly cache: ResultCache;

  constructor(@Inject(CONFIG) config: KeelConfig) {
    this.cache = new ResultCache(config.cacheMaxEntries);
  }

  slotFor(task: AnyTaskDefinition, request: RunTaskRequest): CacheSlot | undefined {
    const { options } = request;
    if (options.cacheTtlMs === undefined || options.review !== undefined) return undefined;
    const key = ResultCache.key({
      tenantId: request.tenantId,
      task: task.name,
      promptVersion: task.prompt.version,
      input: request.input,
      route: options.route,
      allowDegraded: options.allowDegraded,
    });
    return { key, ttlMs: options.cacheTtlMs };
  }

  /** The cached answer as its caller sees it: the earlier job's, nothing billed this time. */
  lookup(slot: CacheSlot): { jobId: string; result: RunTaskResult } | undefined {
    const hit = this.cache.get(slot.key, slot.ttlMs);
    return hit && { jobId: hit.jobId, result: cachedResult(hit) };
  }

  store(slot: CacheSlot, jobId: string, result: RunTaskResult): void {
    this.cache.set(slot.key, { jobId, ...result });
  }
}

function cachedResult(hit: CacheHit): RunTaskResult {
  return {
    output: hit.output,
    meta: {
      ...hit.meta,
      path: ResultPath.cache,
      attempts: 0,
      reasons: [],
      latencyMs: 0,
      providerMs: 0,
      costUsd: 0,
      tokens: { ...hit.meta.tokens, input: 0, output: 0, cachedInput: 0 },
      cache: { jobId: hit.jobId, ageMs: Math.round(hit.ageMs) },
    },
  };
}
