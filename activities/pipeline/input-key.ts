import { createHmac } from 'node:crypto';
import { canonicalJson } from '../../shared/contracts/canonical-json';

/** Every string value Unicode-normalised (NFC), whitespace collapsed and trimmed; keys kept. */
export function normaliseStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (Array.isArray(value)) return value.map(normaliseStrings);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normaliseStrings(v)]),
    );
  return value;
}

/**
 * KeelInputKey: an HMAC of task, prompt version and the input's canonical JSON with normalised
 * strings. The same bytes as before canonical JSON moved to `shared/` (for JSON input), so the
 * last good answers of earlier jobs are still found.
 */
export function inputKeyOf(args: {
  secret: string;
  task: string;
  promptVersion: string;
  input: unknown;
}): string {
  return createHmac('sha256', args.secret)
    .update(`${args.task}\n${args.promptVersion}\n${canonicalJson(normaliseStrings(args.input))}`)
    .digest('hex')
    .slice(0, 32);
}
