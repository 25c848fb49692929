import { createHash } from 'node:crypto';
import { canonicalHash } from '../shared/platform/canonical-hash';
import { invalidRequest } from './problem';

/** Visible ASCII, 1–255 characters (Stripe's and the IETF draft's practical limit). */
const KEY = /^[\x21-\x7e]{1,255}$/;

/** Checks the `Idempotency-Key` header; undefined when absent. */
export function readIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!KEY.test(header)) {
    throw invalidRequest('Idempotency-Key must be 1–255 visible ASCII characters.', [
      { field: 'header.idempotency-key', message: 'expected 1–255 visible ASCII characters' },
    ]);
  }
  return header;
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/**
 * The job id a key maps to: `<task>-<uuid-shaped hash of tenant, task and key>`. Deterministic,
 * so every replica turns a retried request into the same workflow id, and Temporal's id
 * uniqueness does the deduplication. The key itself never appears (it may be meaningful).
 */
export function idempotentJobId(tenantId: string, task: string, key: string): string {
  const h = sha256(`${tenantId}\n${task}\n${key}`);
  return `${task}-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

interface Asked {
  task: string;
  input: unknown;
  options: unknown;
}

/**
 * A fingerprint of what was asked, kept in the workflow memo to spot a key reused for another
 * request. Canonical JSON: the same body with its keys in another order is the same request.
 */
export function requestFingerprint(request: Asked): string {
  return canonicalHash([request.task, request.input, request.options]);
}

/**
 * Whether a job's memo fingerprint was made from this request. Jobs started before fingerprints
 * were canonical (key-order dependent `JSON.stringify`) still match a retry of the same body;
 * drop that branch once the namespace's retention has passed since.
 */
export function sameRequest(memoFingerprint: string | undefined, request: Asked): boolean {
  if (memoFingerprint === undefined) return false;
  return (
    memoFingerprint === requestFingerprint(request) ||
    memoFingerprint === sha256(JSON.stringify([request.task, request.input, request.options]))
  );
}
