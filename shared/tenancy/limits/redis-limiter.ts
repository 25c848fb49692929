import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import {
  LIMIT_BY_CODE,
  assertAdmitArgs,
  assertTokens,
  limitsOf,
  verdictOf,
  type ScopeSnapshot,
} from './report';
import { ADMIT, RELEASE, SETTLE, STATE, type Script } from './redis-scripts';
import type { AdmitArgs, AdmitVerdict, Clock, Limiter, LimitScope, ScopeState } from './types';

/**
 * The limits in Redis, shared by every API replica and worker: each operation is one Lua script
 * (`redis-scripts.ts`) run atomically with EVALSHA. The clock is Redis's own (`TIME`), so
 * replicas with skewed clocks still see one window.
 */
export function createRedisLimiter(opts: {
  redisUrl: string;
  prefix: string;
  windowMs: number;
  onError?: (err: Error) => void;
}): Limiter {
  const redis = new Redis(opts.redisUrl, {
    // A request fails within a few reconnection attempts instead of waiting for Redis forever:
    // the caller decides whether to refuse or admit without limits.
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
  });
  redis.on('error', (err: Error) => opts.onError?.(err));
  const W = String(opts.windowMs);
  const base = (s: Pick<LimitScope, 'kind' | 'id'>): string => `${opts.prefix}:{${s.kind}:${s.id}}`;
  const leaseKey = (leaseId: string): string => `${opts.prefix}:lease:${leaseId}`;
  const nowArg = (c?: Clock): string => (c?.now === undefined ? '' : String(c.now));
  const nonce = (): string => randomBytes(8).toString('hex');

  async function run(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return redis.eval(s.lua, keys.length, ...keys, ...args);
    }
  }

  return {
    async admit(args: AdmitArgs): Promise<AdmitVerdict> {
      assertAdmitArgs(args);
      const argv: (string | number)[] = [
        nowArg(args),
        W,
        args.leaseMs,
        args.tokens,
        args.leaseId,
        `${args.leaseId}:${nonce()}`,
        args.scopes.length,
      ];
      for (const s of args.scopes) argv.push(base(s), ...limitsOf(s));
      const out = (await run(ADMIT, [leaseKey(args.leaseId)], argv)) as number[];
      const [status, now, scopeIndex, limitCode, retryMs, exceeds] = out;
      const snaps: ScopeSnapshot[] = args.scopes.map((_, i) => {
        const o = 6 + i * 6;
        return {
          requests: out[o]!,
          oldestRequestAt: out[o + 1]!,
          tokens: out[o + 2]!,
          oldestTokenAt: out[o + 3]!,
          concurrent: out[o + 4]!,
          earliestLeaseEnd: out[o + 5]!,
        };
      });
      if (status === 0) {
        return verdictOf(args, snaps, now!, opts.windowMs, {
          refusal: {
            scopeIndex: scopeIndex! - 1,
            limit: LIMIT_BY_CODE[limitCode!]!,
            retryMs: retryMs!,
            exceedsQuota: exceeds === 1,
          },
        });
      }
      return verdictOf(args, snaps, now!, opts.windowMs, { alreadyAdmitted: status === 2 });
    },

    async settle(leaseId: string, actualTokens: number, c?: Clock): Promise<boolean> {
      assertTokens(actualTokens);
      const out = await run(
        SETTLE,
        [leaseKey(leaseId)],
        [nowArg(c), W, leaseId, actualTokens, nonce()],
      );
      return out === 1;
    },

    async release(leaseId: string, c?: Clock): Promise<boolean> {
      const out = await run(RELEASE, [leaseKey(leaseId)], [nowArg(c), W, leaseId]);
      return out === 1;
    },

    async state(scope, c?: Clock): Promise<ScopeState> {
      const [requests, tokens, concurrent] = (await run(
        STATE,
        [],
        [nowArg(c), W, base(scope)],
      )) as [number, number, number];
      return { requests, tokens, concurrent };
    },

    async close(): Promise<void> {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
