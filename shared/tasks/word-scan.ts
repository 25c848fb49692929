/**
 * The words the claim extractor reads, found without a Unicode regular expression: exactly what
 * `/\p{L}[\p{L}\p{M}\p{N}]*(?:['’.-]\p{L}[\p{L}\p{M}\p{N}]*)*\.?/gu` matches, in order (a letter,
 * then letters, marks and digits, joined by single apostrophes, periods or hyphens, with one
 * trailing period). ASCII is classified by comparison; other code points once each, by the same
 * Unicode properties, then from a table. Pure and workflow-safe.
 */

const LETTER = 1;
const MARK = 2;
const DIGIT = 4;
/** Set in the table once a code unit is classified (0: not yet). */
const KNOWN = 8;

const IS_LETTER = /^\p{L}$/u;
const IS_MARK = /^\p{M}$/u;
const IS_NUMBER = /^\p{N}$/u;

/** The class of each BMP code point, filled on first sight. */
const BMP = new Uint8Array(0x10000);

function classOf(cp: number): number {
  if (cp < 0x80) {
    if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a)) return LETTER;
    return cp >= 0x30 && cp <= 0x39 ? DIGIT : 0;
  }
  if (cp < 0x10000 && BMP[cp] !== 0) return BMP[cp]! & ~KNOWN;
  const ch = String.fromCodePoint(cp);
  const cls =
    (IS_LETTER.test(ch) ? LETTER : 0) |
    (IS_MARK.test(ch) ? MARK : 0) |
    (IS_NUMBER.test(ch) ? DIGIT : 0);
  if (cp < 0x10000) BMP[cp] = cls | KNOWN;
  return cls;
}

/** The code point at `i` (a lone surrogate is its own), as the `u` flag reads the text. */
const codePointAt = (text: string, i: number): number => text.codePointAt(i)!;
const width = (cp: number): number => (cp > 0xffff ? 2 : 1);

/** Apostrophe, right single quote, period, hyphen: what may join two parts of one word. */
const isJoiner = (c: number): boolean => c === 0x27 || c === 0x2019 || c === 0x2e || c === 0x2d;

/** From `i`, past letters, marks and digits. */
function skipWordBody(text: string, i: number): number {
  while (i < text.length) {
    const cp = codePointAt(text, i);
    if ((classOf(cp) & (LETTER | MARK | DIGIT)) === 0) break;
    i += width(cp);
  }
  return i;
}

/** Calls `visit` with each word and its index, in order. */
export function scanWords(text: string, visit: (word: string, index: number) => void): void {
  let i = 0;
  while (i < text.length) {
    const cp = codePointAt(text, i);
    if ((classOf(cp) & LETTER) === 0) {
      i += width(cp);
      continue;
    }
    const start = i;
    i = skipWordBody(text, i + width(cp));
    // A joiner continues the word only when a letter follows it.
    while (i + 1 < text.length && isJoiner(text.charCodeAt(i))) {
      const next = codePointAt(text, i + 1);
      if ((classOf(next) & LETTER) === 0) break;
      i = skipWordBody(text, i + 1 + width(next));
    }
    if (text.charCodeAt(i) === 0x2e) i += 1;
    visit(text.slice(start, i), start);
  }
}
