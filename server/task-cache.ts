import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ResultPath, type RunTaskRequest, type RunTaskResult } from '../shared/contracts/job';
import type { KeelConfig } from '../shared/platform/config';
import type { Logger } from '../shared/platform/logger';
import { recordCacheHit } from '../shared/platform/metrics';
import type { AnyTaskDefinition } from '../shared/tasks';
import { oncePerBurst, RedisResultCache } from './redis-result-cache';
import {
  isCacheable,
  MAX_CACHED_RESULT_BYTES,
  ResultCache,
  type CacheHit,
  type CachedAnswer,
} from './result-cache';
import { CONFIG, LOGGER } from './tokens';

/** The cache slot of one request: absent when the caller did not opt in. */
export interface CacheSlot {
  key: string;
  ttlMs: number;
  /** The task's name (the cache-hit metric's label). */
  task: string;
}

/** How long the API waits at boot for the cache's Redis before serving (misses until then). */
const REDIS_READY_MS = 2_000;
/** At most one log line per this many ms while Redis fails. */
const ERROR_QUIET_MS = 30_000;

/**
 * `options.cacheTtlMs`: an identical earlier request's validated answer, served without a
 * workflow. In Redis when KEEL_REDIS_URL is set (`RedisResultCache`: every replica shares it),
 * in this process otherwise (`ResultCache`); same keys and rules either way, docs/cache.md. A
 * person must see every answer under review: those never come from the cache.
 */
@Injectable()
export class TaskCache implements OnModuleInit, OnModuleDestroy {
  private readonly memory?: ResultCache;
  private readonly redis?: RedisResultCache;

  constructor(@Inject(CONFIG) config: KeelConfig, @Inject(LOGGER) logger: Logger) {
    // KEEL_CACHE_MAX_ENTRIES=0 turns the cache off in both modes.
    if (config.redisUrl && config.cacheMaxEntries > 0) {
      const onError = oncePerBurst(
        (err, suppressed) =>
          logger.warn(
            { err: { name: err.name, message: err.message }, suppressed },
            'result cache: Redis failed; lookups are misses',
          ),
        { quietMs: ERROR_QUIET_MS },
      );
      this.redis = new RedisResultCache({ redisUrl: config.redisUrl, onError });
    } else {
      this.memory = new ResultCache(config.cacheMaxEntries);
    }
  }

  /** Where entries live: 'redis' (shared) or 'memory' (this process). */
  get backend(): 'redis' | 'memory' {
    return this.redis ? 'redis' : 'memory';
  }

  async onModuleInit(): Promise<void> {
    await this.redis?.ready(REDIS_READY_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis?.close();
  }

  /** `promptVersion`: the version the request's job runs with (the registry's, or the built-in). */
  slotFor(
    task: AnyTaskDefinition,
    request: RunTaskRequest,
    promptVersion = task.prompt.version,
  ): CacheSlot | undefined {
    const { options } = request;
    if (options.cacheTtlMs === undefined || options.review !== undefined) return undefined;
    const key = ResultCache.key({
      tenantId: request.tenantId,
      task: task.name,
      promptVersion,
      input: request.input,
      route: options.route,
      allowDegraded: options.allowDegraded,
    });
    return { key, ttlMs: options.cacheTtlMs, task: task.name };
  }

  /**
   * The cached answer as its caller sees it: the earlier job's, nothing billed this time. Never
   * rejects: Redis failing is a miss.
   */
  async lookup(slot: CacheSlot): Promise<{ jobId: string; result: RunTaskResult } | undefined> {
    const hit = this.memory
      ? this.memory.get(slot.key, slot.ttlMs)
      : await this.redis?.get(slot.key, slot.ttlMs);
    if (hit) recordCacheHit(slot.task);
    return hit && { jobId: hit.jobId, result: cachedResult(hit) };
  }

  /**
   * Keeps a validated answer of at most MAX_CACHED_RESULT_BYTES (as JSON); awaited so that any
   * replica serves it once its caller has it. Never rejects.
   */
  async store(slot: CacheSlot, jobId: string, result: RunTaskResult): Promise<void> {
    if (!isCacheable(result.meta)) return;
    const answer: CachedAnswer = { jobId, output: result.output, meta: result.meta };
    const json = JSON.stringify(answer);
    if (Buffer.byteLength(json) > MAX_CACHED_RESULT_BYTES) return;
    if (this.memory) this.memory.set(slot.key, answer);
    else await this.redis?.set(slot.key, json);
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
      reasonCodes: [],
      latencyMs: 0,
      providerMs: 0,
      costUsd: 0,
      tokens: { ...hit.meta.tokens, input: 0, output: 0, cachedInput: 0 },
      cache: { jobId: hit.jobId, ageMs: Math.round(hit.ageMs) },
    },
  };
}
