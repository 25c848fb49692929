import Redis from 'ioredis';
import type { MarkerStore } from './markers';

export const DEFAULT_MARKER_PREFIX = 'keel:markers';

/** GET, or SET with PX when empty: the value held afterwards. */
const CLAIM = `
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`;

/** SET with PX, returning the previous value, which every subscriber hears about. */
const REPLACE = `
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if previous then redis.call('PUBLISH', KEYS[2], previous) end
return previous
`;

/** DEL when the key still holds ARGV[1]. */
const DROP = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type MarkerRedis = Redis & {
  keelMarkerClaim(key: string, value: string, ttlMs: number): Promise<string>;
  keelMarkerReplace(
    key: string,
    channel: string,
    value: string,
    ttlMs: number,
  ): Promise<string | null>;
  keelMarkerDrop(key: string, value: string): Promise<number>;
};

export interface RedisMarkersOptions {
  redisUrl: string;
  /** Key prefix: a marker is `<prefix>:<key>`, the channel `<prefix>:replaced`. @default 'keel:markers' */
  prefix?: string;
  /** A command not answered within this fails (the caller then runs unshared). @default 200 */
  commandTimeoutMs?: number;
  /** Connection and command errors. */
  onError?: (err: Error) => void;
}

/**
 * `MarkerStore` in Redis, shared by every API replica: each operation is one EVALSHA (atomic on
 * the server), markers expire by PX, and `replace` publishes the value it replaced on one channel
 * that a second connection of each process listens to. No offline queue: a command while Redis is
 * away fails at once, and the callers fall back to running unshared.
 */
export class RedisMarkers implements MarkerStore {
  private readonly redis: MarkerRedis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly listeners: ((value: string) => void)[] = [];

  constructor(opts: RedisMarkersOptions) {
    this.prefix = `${opts.prefix ?? DEFAULT_MARKER_PREFIX}:`;
    this.channel = `${this.prefix}replaced`;
    const onError = opts.onError ?? ((): void => {});
    const options = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 200,
      connectTimeout: 2_000,
    };
    this.redis = new Redis(opts.redisUrl, options) as MarkerRedis;
    this.redis.defineCommand('keelMarkerClaim', { numberOfKeys: 1, lua: CLAIM });
    this.redis.defineCommand('keelMarkerReplace', { numberOfKeys: 2, lua: REPLACE });
    this.redis.defineCommand('keelMarkerDrop', { numberOfKeys: 1, lua: DROP });
    this.redis.on('error', onError);
    // A subscribed connection re-subscribes by itself after a reconnect (ioredis autoResubscribe).
    this.subscriber = new Redis(opts.redisUrl, { ...options, enableOfflineQueue: true });
    this.subscriber.on('error', onError);
    this.subscriber.on('message', (_channel: string, value: string) => {
      for (const listener of this.listeners) listener(value);
    });
    this.subscriber.subscribe(this.channel).catch(onError);
  }

  /** Resolves true once both connections are up, false after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<boolean> {
    const up = (r: Redis): Promise<boolean> =>
      r.status === 'ready'
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs);
            r.once('ready', () => {
              clearTimeout(timer);
              resolve(true);
            });
          });
    const [a, b] = await Promise.all([up(this.redis), up(this.subscriber)]);
    return a && b;
  }

  claim(key: string, value: string, ttlMs: number): Promise<string> {
    return this.redis.keelMarkerClaim(this.prefix + key, value, Math.ceil(ttlMs));
  }

  async replace(key: string, value: string, ttlMs: number): Promise<string | undefined> {
    const previous = await this.redis.keelMarkerReplace(
      this.prefix + key,
      this.channel,
      value,
      Math.ceil(ttlMs),
    );
    return previous ?? undefined;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  async drop(key: string, value: string): Promise<void> {
    await this.redis.keelMarkerDrop(this.prefix + key, value);
  }

  onReplaced(listener: (value: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.redis.quit(), this.subscriber.quit()]);
  }
}
