import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { PayloadKey } from './payload-codec';

/**
 * Secrets Keel must read back (a webhook's signing secret: Keel signs with it, so it cannot keep
 * only a hash) sealed at rest with the payload keys (docs/encryption.md): AES-256-GCM under the
 * primary key, the key id and the secret's purpose authenticated, stored as
 * `sealed:v1:<key id>:<base64 iv|ciphertext|tag>`. A dump of the tenant store holds no usable
 * secret without the key file; a rotation of the keys still opens what older keys sealed.
 */
const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that does not open; names the key id, never the key or the secret. */
export class SecretUnsealError extends Error {
  override readonly name = 'SecretUnsealError';
}

export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

/** `plain` sealed under `keys[0]` for `purpose` (e.g. `webhook-secret`). */
export function sealSecret(keys: readonly PayloadKey[], purpose: string, plain: string): string {
  const [primary] = keys;
  if (!primary) throw new Error('sealSecret needs at least one key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', primary.key, iv);
  cipher.setAAD(Buffer.from(`${primary.id}\n${purpose}`));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${PREFIX}${primary.id}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64')}`;
}

/**
 * The secret a stored value holds. A value that is not sealed (written before keys were
 * configured) is returned as it is; a sealed one needs its key among `keys`.
 */
export function openSecret(
  keys: readonly PayloadKey[] | undefined,
  purpose: string,
  stored: string,
): string {
  if (!isSealed(stored)) return stored;
  const rest = stored.slice(PREFIX.length);
  const colon = rest.indexOf(':');
  const keyId = rest.slice(0, colon);
  const key = keys?.find((k) => k.id === keyId);
  if (colon < 0 || !key)
    throw new SecretUnsealError(
      `a ${purpose} is sealed with key "${keyId}", which is not configured; add it to KEEL_PAYLOAD_KEYS (or the key file)`,
    );
  const data = Buffer.from(rest.slice(colon + 1), 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`${keyId}\n${purpose}`));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new SecretUnsealError(
      `a ${purpose} sealed with key "${keyId}" does not open with the configured key of that id`,
    );
  }
}
