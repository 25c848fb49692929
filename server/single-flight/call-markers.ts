import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { KeelConfig } from '../../shared/platform/config';
import type { Logger } from '../../shared/platform/logger';
import { CONFIG, LOGGER } from '../tokens';
import { MemoryMarkers, type MarkerStore } from './markers';
import { RedisMarkers } from './redis-markers';

/** How long the API waits at boot for the markers' Redis before serving (unshared until then). */
const REDIS_READY_MS = 2_000;
/** At most one warning per this many ms while Redis fails. */
const WARN_QUIET_MS = 30_000;

/**
 * The one marker store of this API process, behind single-flight and debounce: Redis when
 * KEEL_REDIS_URL is set (shared by every replica), process memory otherwise. `failed` logs a
 * Redis error at most once per 30 s; the callers then run the request unshared, never fail it.
 */
@Injectable()
export class CallMarkers implements OnModuleInit, OnModuleDestroy {
  readonly store: MarkerStore;
  private readonly redis?: RedisMarkers;
  private lastWarnAt = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(CONFIG) config: KeelConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    if (config.redisUrl) {
      this.redis = new RedisMarkers({
        redisUrl: config.redisUrl,
        onError: (err) => this.failed(err, 'connection'),
      });
      this.store = this.redis;
    } else {
      this.store = new MemoryMarkers();
    }
  }

  /** Where markers live: 'redis' (every replica) or 'memory' (this process). */
  get backend(): 'redis' | 'memory' {
    return this.redis ? 'redis' : 'memory';
  }

  async onModuleInit(): Promise<void> {
    await this.redis?.ready(REDIS_READY_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }

  /** A store operation failed: warn (rarely); the caller goes on unshared. */
  failed(err: unknown, what: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_QUIET_MS) return;
    this.lastWarnAt = now;
    const { name, message } = err instanceof Error ? err : new Error(String(err));
    this.logger.warn(
      { err: { name, message }, what },
      'single-flight/debounce markers: Redis failed; requests run unshared',
    );
  }
}
