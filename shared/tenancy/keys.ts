import { createHash, randomBytes, randomUUID } from 'node:crypto';

export type KeyEnv = 'live' | 'test';

/** How a Keel key looks: `keel_live_` or `keel_test_`, then 40 base62 characters (238 bits). */
export const KEY_PATTERN = /^keel_(live|test)_[0-9A-Za-z]{40}$/;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** SHA-256 hex of a key: what the store keeps and looks keys up by. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface GeneratedKey {
  id: string;
  /** The key itself: returned once, never stored. */
  key: string;
  hash: string;
  /** What lists show: the environment prefix and the first 4 random characters. */
  prefix: string;
}

/** A new key: uniformly random base62 (rejection sampling, no modulo bias). */
export function generateKey(env: KeyEnv): GeneratedKey {
  let body = '';
  while (body.length < 40) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && body.length < 40) body += BASE62[byte % 62];
    }
  }
  const key = `keel_${env}_${body}`;
  return {
    id: `key_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
    key,
    hash: hashKey(key),
    prefix: key.slice(0, 14),
  };
}
