/**
 * Per-key request quotas (options.keyQuotas), as a vendor enforces them on one API key: each
 * answer counts down the key's rate-limit headers, and past the quota the key gets a 429 until
 * its window resets. The attempt log names the key by a short hash, never the key itself.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Api } from './wire';

export interface KeyQuota {
  /** Requests the key may make per window. */
  requests: number;
  /** The window, from the key's first request. @default 60000 */
  windowMs?: number;
}

/** The API key a request carries: OpenAI's bearer token or Anthropic's x-api-key. */
export function requestKey(req: IncomingMessage): string | undefined {
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const apiKey = req.headers['x-api-key'];
  return bearer ?? (typeof apiKey === 'string' ? apiKey : undefined);
}

/** First 8 hex digits of the key's SHA-256: enough to tell keys apart, useless to a thief. */
export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** The vendor's rate-limit headers for a key with `remaining` of `limit` left until `resetAt`. */
function limitHeaders(
  api: Api,
  q: { limit: number; remaining: number; resetAt: number },
  now: number,
): Record<string, string> {
  if (api === 'anthropic') {
    return {
      'anthropic-ratelimit-requests-limit': String(q.limit),
      'anthropic-ratelimit-requests-remaining': String(q.remaining),
      'anthropic-ratelimit-requests-reset': new Date(q.resetAt).toISOString(),
    };
  }
  return {
    'x-ratelimit-limit-requests': String(q.limit),
    'x-ratelimit-remaining-requests': String(q.remaining),
    'x-ratelimit-reset-requests': `${Math.max(0, (q.resetAt - now) / 1_000).toFixed(3)}s`,
  };
}

/** The quota book of one mock instance. */
export function keyQuotas(quotas: Readonly<Record<string, KeyQuota>>) {
  const windows = new Map<string, { startedAt: number; used: number }>();
  return {
    /**
     * Counts one request of `key`: undefined when the key has no quota; else whether it is over
     * (answer 429) and the headers to send either way.
     */
    take(
      key: string | undefined,
      api: Api,
      now: number,
    ): { limited: boolean; headers: Record<string, string> } | undefined {
      const quota = key === undefined ? undefined : quotas[key];
      if (!key || !quota) return undefined;
      const windowMs = quota.windowMs ?? 60_000;
      let w = windows.get(key);
      if (!w || now - w.startedAt >= windowMs) w = { startedAt: now, used: 0 };
      windows.set(key, w);
      const resetAt = w.startedAt + windowMs;
      const limited = w.used >= quota.requests;
      if (!limited) w.used += 1;
      const headers = limitHeaders(
        api,
        { limit: quota.requests, remaining: quota.requests - w.used, resetAt },
        now,
      );
      if (limited) headers['retry-after'] = String(Math.ceil((resetAt - now) / 1_000));
      return { limited, headers };
    },
  };
}
