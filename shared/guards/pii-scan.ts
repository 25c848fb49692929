/**
 * Shared pieces of the PII detectors: span construction, keyword context, and the candidate scan
 * that runs an expensive regular expression only where a cheap pre-filter says a match can start.
 */
import type { PiiContext, PiiSpan, PiiType } from './types';

export type Detector = (text: string, context: PiiContext) => PiiSpan[];

export function span(
  type: PiiType,
  text: string,
  start: number,
  end: number,
  confidence: number,
): PiiSpan {
  return { type, start, end, value: text.slice(start, end), confidence };
}

/** The `width` characters before `start`, for keyword checks. */
export function before(text: string, start: number, width = 32): string {
  return text.slice(Math.max(0, start - width), start);
}

/** The sticky twin of a global regular expression: tried at one position only. */
export const sticky = (re: RegExp): RegExp =>
  new RegExp(re.source, `${re.flags.replace('g', '')}y`);

/**
 * What `text.matchAll(global)` yields, with its sticky twin tried only at `starts` (ascending)
 * instead of at every position. Exact as long as every position a match can start at is in
 * `starts`: matches stay leftmost and non-overlapping, as the global scan finds them.
 */
export function matchAt(re: RegExp, text: string, starts: Iterable<number>): RegExpExecArray[] {
  const found: RegExpExecArray[] = [];
  let end = 0;
  for (const start of starts) {
    if (start < end) continue;
    re.lastIndex = start;
    const m = re.exec(text);
    if (!m) continue;
    found.push(m);
    end = start + Math.max(1, m[0].length);
  }
  return found;
}

/** Every index of `needle` in `text`, ascending. */
export function indexesOf(text: string, needle: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) at.push(i);
  return at;
}

/**
 * Every index where a letter starts that no letter precedes (`(?<![\p{L}])\p{L}`): where a
 * pattern with that look-behind and a letter first can start. One pass, ASCII without a regex.
 */
export function wordStarts(text: string): number[] {
  const starts: number[] = [];
  let afterLetter = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    // The low half of a surrogate pair belongs to the code point read at i - 1.
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const hi = text.charCodeAt(i - 1);
      if (hi >= 0xd800 && hi <= 0xdbff) continue;
    }
    const letter = c < 0x80 ? (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a : isLetterAt(text, i);
    if (letter && !afterLetter) starts.push(i);
    afterLetter = letter;
  }
  return starts;
}

const LETTER = /\p{L}/u;
const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;

/** `\p{L}` for the code point starting at `i` (ASCII answered without a regular expression). */
export function isLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x80) return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
  return LETTER.test(String.fromCodePoint(text.codePointAt(i) ?? c));
}

/** `[\p{L}\p{N}]` for the code point starting at `i`. */
export function isLetterOrNumberAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x80) return ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || (c >= 0x30 && c <= 0x39);
  return LETTER_OR_NUMBER.test(String.fromCodePoint(text.codePointAt(i) ?? c));
}

/**
 * The index of the code point that ends just before `i` (i - 1, or i - 2 for a surrogate pair):
 * look-behinds in `u` regular expressions read whole code points.
 */
export function previousCodePoint(text: string, i: number): number {
  const lo = text.charCodeAt(i - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && i >= 2) {
    const hi = text.charCodeAt(i - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return i - 2;
  }
  return i - 1;
}
