import { createHmac, randomBytes } from 'node:crypto';

/**
 * Signing per the Standard Webhooks specification (standardwebhooks.com): the signed content is
 * `<webhook-id>.<webhook-timestamp>.<body>`, the signature `v1,` + base64 of its HMAC-SHA256 under
 * the secret's bytes, and a secret is `whsec_` + base64 of those bytes.
 */
export const SECRET_PREFIX = 'whsec_';

/** A new secret: 32 random bytes. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** One `v1,<base64>` signature of a message under a `whsec_` secret. */
export function signWebhook(
  secret: string,
  msg: { id: string; timestampS: number; body: string },
): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const mac = createHmac('sha256', key)
    .update(`${msg.id}.${msg.timestampS}.${msg.body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/**
 * The `webhook-signature` header: one signature per secret that signs now, space-separated. During
 * a rotation's overlap that is the new secret and the previous one, so a receiver that still has
 * the old secret verifies, and so does one that already has the new.
 */
export function signatureHeader(
  secrets: readonly string[],
  msg: { id: string; timestampS: number; body: string },
): string {
  return secrets.map((s) => signWebhook(s, msg)).join(' ');
}

/** The secrets that sign at `now`: the current one, and the previous until its overlap ends. */
export function activeSecrets(
  e: { secret: string; previousSecret: string | null; previousExpiresAt: number | null },
  now: number,
): string[] {
  return e.previousSecret && e.previousExpiresAt !== null && now < e.previousExpiresAt
    ? [e.secret, e.previousSecret]
    : [e.secret];
}
