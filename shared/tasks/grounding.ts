/**
 * Grounding helpers shared by tasks: is this quote really in that document? Pure and
 * workflow-safe (string operations only).
 *
 * Normalisation, applied to both sides the same way:
 * 1. Unicode NFKC (full-width letters, ligatures, `…` → `...`, non-breaking spaces → spaces);
 * 2. curly single quotes and primes → `'`, curly double quotes → `"`, every dash → `-`;
 * 3. lower case;
 * 4. diacritics folded (`Café` → `cafe`): models drop or add accents freely, and folding both
 *    sides keeps the comparison symmetric;
 * 5. apostrophes removed (`don't` → `dont`, so `don’t`/`dont` agree), every other character that
 *    is not a letter or a digit becomes a space, whitespace collapses.
 * A quote then matches when its normalised form occurs in the normalised document on word
 * boundaries: `art` is not found in `start`.
 */
import { stemWord } from './local/summarize-extractive';

const SINGLE_QUOTES = /[‘’‚‛′`´]/g;
const DOUBLE_QUOTES = /[“”„‟″«»]/g;
const DASHES = /[‐‑‒–—―−]/g;
const MARKS = /\p{M}+/gu;
const NOT_WORD = /[^\p{L}\p{N}]+/gu;

/** Code units outside printable ASCII (and tab, newline, return): folded a run at a time. */
const isRunUnit = (c: number): boolean =>
  c > 0x7e || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d);
/** ASCII letters, digits and the apostrophes step 5 removes: the pieces of an ASCII word. */
const isAsciiWordUnit = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x30 && c <= 0x39) ||
  c === 0x27 ||
  c === 0x60;
const APOSTROPHES = /['`]/g;

/** Unicode folding of one non-ASCII run: compatibility forms, quotes, dashes, case, accents. */
const foldRun = (run: string): string =>
  run
    .normalize('NFKC')
    .replace(SINGLE_QUOTES, "'")
    .replace(DOUBLE_QUOTES, '"')
    .replace(DASHES, '-')
    .toLowerCase()
    .normalize('NFD')
    .replace(MARKS, '');

/**
 * The comparison form described above: lower-case words and digits separated by single spaces.
 * Only the non-ASCII runs need Unicode folding (the same result as folding the whole text, since
 * marks that would compose with a neighbouring ASCII letter are dropped either way), so mostly
 * ASCII text costs little: one pass, ASCII words sliced whole, a separator written only between
 * two words (the same as replacing every non-word run by a space and trimming).
 */
export function normaliseForGrounding(text: string): string {
  return groundingWords(text).join(' ');
}

/** The words of `normaliseForGrounding(text)`, for callers that index them: no split needed. */
export function groundingWords(text: string): string[] {
  /** The words so far; a piece that follows the last one without a separator joins it. */
  const words: string[] = [];
  /** A separator was seen since the last piece. */
  let gap = true;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    let j = i + 1;
    let piece = '';
    if (isAsciiWordUnit(c)) {
      // Lower-casing and removing apostrophes only where there is something to change.
      let upper = c <= 0x5a && c >= 0x41;
      let apostrophe = c === 0x27 || c === 0x60;
      for (; j < n; j += 1) {
        const d = text.charCodeAt(j);
        if (!isAsciiWordUnit(d)) break;
        if (d <= 0x5a && d >= 0x41) upper = true;
        else if (d === 0x27 || d === 0x60) apostrophe = true;
      }
      piece = text.slice(i, j);
      if (upper) piece = piece.toLowerCase();
      if (apostrophe) piece = piece.replace(APOSTROPHES, '');
    } else if (isRunUnit(c)) {
      while (j < n && isRunUnit(text.charCodeAt(j))) j += 1;
      const folded = foldRun(text.slice(i, j))
        .toLowerCase()
        .replace(APOSTROPHES, '')
        .replace(NOT_WORD, ' ');
      // Its words; an empty part at either end is a separator there.
      const parts = folded.split(' ');
      for (let p = 0; p < parts.length; p += 1) {
        if (p > 0) gap = true;
        const part = parts[p]!;
        if (part === '') continue;
        if (gap || words.length === 0) words.push(part);
        else words[words.length - 1] += part;
        gap = false;
      }
      i = j;
      continue;
    } else {
      gap = true;
    }
    if (piece !== '') {
      if (gap || words.length === 0) words.push(piece);
      else words[words.length - 1] += piece;
      gap = false;
    }
    i = j;
  }
  return words;
}

/** True when `needle` occurs in `haystack`, both already normalised, on word boundaries. */
function containsWords(haystack: string, needle: string): boolean {
  return needle !== '' && ` ${haystack} `.includes(` ${needle} `);
}

/**
 * Whether `quote` is found in `document`, up to case, whitespace, punctuation, quote and dash
 * styles, Unicode forms and diacritics. A quote with no letter or digit is never found: there is
 * nothing to ground.
 */
export function quoteIsInDocument(quote: string, document: string): boolean {
  return containsWords(normaliseForGrounding(document), normaliseForGrounding(quote));
}

/** Like `quoteIsInDocument` for many quotes against one document, normalising it once. */
export function createQuoteMatcher(document: string): (quote: string) => boolean {
  const normalised = normaliseForGrounding(document);
  return (quote) => containsWords(normalised, normaliseForGrounding(quote));
}

const stems = (text: string): string[] =>
  normaliseForGrounding(text)
    .split(' ')
    .filter((w) => w !== '')
    .map(stemWord);

/**
 * A looser test for short terms: found verbatim (as `quoteIsInDocument`), or as the same
 * sequence of word stems, so `"charge"` is found in "two charges" and `"stopped working"` in
 * "it stops working". Meant for keywords a classifier quotes, not for quotations.
 */
export function termIsInText(term: string, text: string): boolean {
  if (quoteIsInDocument(term, text)) return true;
  const want = stems(term);
  if (want.length === 0) return false;
  const have = stems(text);
  for (let i = 0; i + want.length <= have.length; i++) {
    if (want.every((s, k) => have[i + k] === s)) return true;
  }
  return false;
}

/** Phrases a text puts in double quotes, straight (`"…"`) or curly (`“…”`). */
export function quotedPhrases(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"([^"\n]+)"|“([^”\n]+)”/g)) {
    const phrase = (m[1] ?? m[2] ?? '').trim();
    if (phrase !== '') out.push(phrase);
  }
  return out;
}

/** A short excerpt of model output for a violation message: it travels into re-ask prompts. */
export function excerpt(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
