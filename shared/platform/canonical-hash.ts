import { createHash } from 'node:crypto';
import { canonicalJson } from '../contracts/canonical-json';

/**
 * SHA-256 (hex) of a value's canonical JSON: equal as JSON, equal hash, whatever the key order.
 * Node-side (node:crypto); workflow code imports `canonicalJson` alone.
 */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
