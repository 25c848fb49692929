/**
 * Reversible redaction: PII becomes `[EMAIL_1]`, `[CARD_2]`, ... before text leaves for an
 * external model, and the placeholders are put back into the model's answer. Numbering is shared
 * across every string of one input, so the same value reads the same everywhere in it.
 */
import { detectPii, PII_LABELS } from './pii';
import { transformStrings } from './json-strings';
import type { PiiScanOptions, PiiSpan, Redaction } from './types';

/**
 * Numbering carried from one `redactPii` call to the next: per label the last number used
 * (`EMAIL` → 2), per label and value the number it was given (`EMAIL\u0000jane@example.com` → 1).
 */
export type RedactionCounters = Map<string, number>;

const PLACEHOLDER = /\[[A-Z]+_\d+\]/g;

/**
 * Replaces each span with its placeholder. Overlapping spans after the first are ignored. A
 * number whose placeholder already occurs in the text is skipped, so restoring cannot touch it.
 */
export function redactPii(
  text: string,
  spans: readonly PiiSpan[],
  counters: RedactionCounters = new Map(),
): Redaction {
  const placeholders: Record<string, string> = {};
  let out = '';
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue;
    const value = text.slice(s.start, s.end);
    const label = PII_LABELS[s.type];
    const key = `${label}\u0000${value}`;
    let n = counters.get(key);
    if (n === undefined) {
      n = (counters.get(label) ?? 0) + 1;
      while (text.includes(`[${label}_${n}]`)) n += 1;
      counters.set(label, n);
      counters.set(key, n);
    }
    const placeholder = `[${label}_${n}]`;
    placeholders[placeholder] = value;
    out += text.slice(at, s.start) + placeholder;
    at = s.end;
  }
  return { text: out + text.slice(at), placeholders };
}

/** Puts back every known placeholder; unknown ones (or ones the model altered) stay as they are. */
export function restorePlaceholders(text: string, placeholders: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (p) => (Object.hasOwn(placeholders, p) ? placeholders[p]! : p));
}

export interface Redactor {
  /** Redacts `text`: the given spans, or what `detectPii` finds when none are given. */
  redact(text: string, spans?: readonly PiiSpan[]): string;
  /** Every placeholder handed out so far → its original value. */
  placeholders(): Record<string, string>;
}

/** A redactor whose numbering spans every string it is given: one per input object. */
export function createRedactor(options: PiiScanOptions = {}): Redactor {
  const counters: RedactionCounters = new Map();
  const all: Record<string, string> = {};
  return {
    redact(text, spans = detectPii(text, options)) {
      const redaction = redactPii(text, spans, counters);
      Object.assign(all, redaction.placeholders);
      return redaction.text;
    },
    placeholders: () => ({ ...all }),
  };
}

/** Redacts every string inside a JSON value with one redactor, so numbering is shared. */
export function redactDeep<T>(value: T, redactor: Redactor): T {
  return transformStrings(value, (text) => redactor.redact(text)) as T;
}

/** Restores placeholders in every string inside a JSON value. */
export function restoreDeep<T>(value: T, placeholders: Record<string, string>): T {
  return transformStrings(value, (text) => restorePlaceholders(text, placeholders)) as T;
}
