import { createHash } from 'node:crypto';
import { normalisePiiValue } from '../../shared/guards/pii';
import type { PiiSpan } from '../../shared/guards/types';

/**
 * A PII value's fingerprint: the same for the same value however it is written, and not the
 * value itself. Input screening records the input's fingerprints once, so output moderation can
 * tell PII the input already had from PII the model brought in without scanning the input again.
 */
export function piiFingerprint(span: Pick<PiiSpan, 'type' | 'value'>): string {
  return createHash('sha256')
    .update(`${span.type}:${normalisePiiValue(span.type, span.value)}`)
    .digest('hex')
    .slice(0, 16);
}
