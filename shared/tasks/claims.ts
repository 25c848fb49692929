/**
 * Checkable claims in generated text (numbers, dates, capitalised names) and whether a source
 * supports them. The summarize task's grounding: a summary must not state a number, date or name
 * its source does not contain. Pure and workflow-safe.
 *
 * - Numbers (`42%`, `$1,200.50`, `3.5`) compare by value after normalising separators: `1,200.50`
 *   = `1200.5`; an ambiguous `1,200` may be 1200 or 1.2 (both readings count). The source also
 *   lends the values of number words (`twelve` grounds `12`). Units and signs are ignored, so
 *   `42%` is grounded by "42 percent".
 * - Dates (`March 5, 2024`, `2024-03-05`, `05/03/2024`) compare as calendar dates; a numeric date
 *   with both parts ≤ 12 may be read either way. A date without a year matches any year.
 * - Names: capitalised words that do not open a sentence, and runs of two or more capitalised
 *   words anywhere (`Margaret Okafor said…`), minus a short list of words capitalised only by
 *   position or convention (`The`, `I`, `Mr`). Each word must occur in the source, ignoring case.
 */
import { groundingWords, normaliseForGrounding } from './grounding';
import { findDates, formatDate, type DateMention } from './local/dates';
import { scanWords } from './word-scan';

export type ClaimKind = 'number' | 'date' | 'name';

export interface Claim {
  kind: ClaimKind;
  /** The claim as written (`42%`, `CEO Margaret Okafor`). */
  text: string;
}

// prettier-ignore
const COMMON_CAPITALISED = new Set((
  'a an the this that these those it its i we you he she they our your their his her my me us ' +
  'in on at for to of by from with as and but or nor so yet if then when while where which who ' +
  'what why how after before since during until also however moreover meanwhile overall thus ' +
  'there here both each every all some most many more several no not one another such ' +
  'mr mrs ms dr prof sir madam st jr sr ok yes key'
).split(' '));
/** A period after these does not end a sentence. */
const ABBREVIATIONS = new Set(
  'mr mrs ms dr prof st jr sr vs e.g i.e cf fig no inc ltd co'.split(' '),
);

// prettier-ignore
const NUMBER_WORDS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50,
  sixty: 60, seventy: 70, eighty: 80, ninety: 90, hundred: 100, thousand: 1000, million: 1e6,
  billion: 1e9, dozen: 12, once: 1, twice: 2, half: 0.5, first: 1, second: 2, third: 3,
};

/** Digits with optional `,` `.` `'` or narrow-space group separators; not glued to a word. */
const NUMBER = /(?<![\p{L}\p{N}])(?:[$€£¥₹]\s?)?\d+(?:[.,'\u00a0\u202f]\d+)*%?/gu;
const LIST_MARKER = /^\s*(?:[-*•]|\d{1,2}[.)])\s+/;

/** Every value a written number may stand for, as canonical strings (`1200.5`). */
/** Every separator after the first group groups thousands (three digits each). */
function isGrouped(parts: readonly string[], end = parts.length): boolean {
  for (let i = 1; i < end; i++) if (parts[i]!.length !== 3) return false;
  return true;
}

function addValue(out: Set<string>, text: string): void {
  const n = Number(text);
  if (Number.isFinite(n)) out.add(String(n));
}

const SEPARATOR = /[.,'\u00a0\u202f]/;

// Hot path (every number of the source and the summary): plain loops, no closures per call.
export function numberReadings(written: string): string[] {
  const token = written.replace(/[^\d.,'\u00a0\u202f]/g, '');
  // No separator (most numbers): one group, one reading, as the general case below gives.
  if (!SEPARATOR.test(token)) {
    const n = Number(token);
    return Number.isFinite(n) ? [String(n)] : [];
  }
  const groups = token.split(/[.,'\u00a0\u202f]/);
  const separators = token.match(/[.,'\u00a0\u202f]/g) ?? [];
  const out = new Set<string>();
  // Every separator groups thousands: 1,200 / 1.200.000 / 1'234.
  if (isGrouped(groups)) addValue(out, groups.join(''));
  // The last separator is a decimal point (`.` or `,`), the others group thousands.
  const last = separators[separators.length - 1];
  if (last === '.' || last === ',') {
    const whole = groups.slice(0, -1);
    if (isGrouped(whole) && !separators.slice(0, -1).includes(last))
      addValue(out, `${whole.join('')}.${groups[groups.length - 1] ?? ''}`);
  }
  if (out.size === 0) addValue(out, groups.join(''));
  return [...out];
}

function dateKeys(mention: DateMention): string[] {
  return mention.readings.map(formatDate);
}

/** Blank out `spans` so later scans do not see them; positions are kept. */
function mask(text: string, spans: ReadonlyArray<{ index: number; end: number }>): string {
  let out = text;
  for (const s of spans)
    out = out.slice(0, s.index) + ' '.repeat(s.end - s.index) + out.slice(s.end);
  return out;
}

/** A gap holding one of these ends a sentence; a gap of only these continues a name. */
const GAP_TERMINAL = /[!?:;\n.]/;
const GAP_BLANK = /^[ \t]+$/;

/** Whether the word just before `gap` ended a sentence. */
function endsSentence(previousWord: string | undefined, gap: string): boolean {
  if (previousWord === undefined || GAP_TERMINAL.test(gap)) return true;
  if (!previousWord.endsWith('.')) return false;
  const bare = previousWord.slice(0, -1).toLowerCase();
  // "Dr. Smith", "J. Smith", "U.S. Energy": the period belongs to the word.
  return !(ABBREVIATIONS.has(bare) || bare.length === 1 || bare.includes('.'));
}

const UPPER_START = /^\p{Lu}/u;
/** ASCII answered from the first code unit; anything else by the Unicode property. */
function isCapitalised(word: string): boolean {
  const c = word.charCodeAt(0);
  if (c < 0x80) return c >= 0x41 && c <= 0x5a;
  return UPPER_START.test(word);
}
const bareWord = (word: string): string => word.replace(/['’]s$/u, '').replace(/\.$/, '');
const isCommon = (word: string): boolean => COMMON_CAPITALISED.has(bareWord(word).toLowerCase());

function nameClaims(text: string): Claim[] {
  const claims: Claim[] = [];
  let run: Array<{ word: string; initial: boolean }> = [];
  const flush = (): void => {
    if (run.length === 0) return;
    // Drop words capitalised by convention at the edges: "The Energy Department" -> one name.
    const names = run.filter((w) => !isCommon(w.word));
    const lone = names.length === 1 && run.length === 1;
    if (names.length >= 2 || (names.length === 1 && !(lone && run[0]?.initial)))
      claims.push({
        kind: 'name',
        text: run
          .map((w) => w.word)
          .join(' ')
          .replace(/\.$/, ''),
      });
    run = [];
  };
  let previousEnd = 0;
  let previousWord: string | undefined;
  scanWords(text, (word, index) => {
    // Only a capitalised word needs the gap before it read: any other word ends the run anyway.
    if (isCapitalised(word)) {
      const gap = text.slice(previousEnd, index);
      const initial = endsSentence(previousWord, gap);
      // A run continues across plain spaces only: "Okafor, Lee" are two names.
      if (run.length > 0 && (initial || !GAP_BLANK.test(gap))) flush();
      run.push({ word, initial });
    } else flush();
    previousEnd = index + word.length;
    previousWord = word;
  });
  flush();
  return claims;
}

/** The numbers, dates and names stated in `text`, dates first. */
export function extractClaims(text: string): Claim[] {
  const body = text.replace(LIST_MARKER, '');
  const dates = findDates(body);
  const rest = mask(body, dates);
  return [
    ...dates.map((d): Claim => ({ kind: 'date', text: d.text })),
    ...[...rest.matchAll(NUMBER)].map((m): Claim => ({ kind: 'number', text: m[0] })),
    ...nameClaims(rest),
  ];
}

/** What a source supports, indexed once and reused for every claim checked against it. */
export interface SourceIndex {
  numbers: Set<string>;
  dates: Set<string>;
  monthDays: Set<string>;
  /** The normalised source, space-padded, for multi-word lookups. */
  words: string;
  /** Its words, for the common single-word lookup in constant time. */
  wordSet: Set<string>;
}

export function indexSource(source: string): SourceIndex {
  const numbers = new Set<string>();
  for (const m of source.matchAll(NUMBER)) for (const v of numberReadings(m[0])) numbers.add(v);
  const words = groundingWords(source);
  const normalised = words.join(' ');
  // As `normalised.split(' ')` reads it: one empty word when there is none.
  const wordSet = new Set(words.length > 0 ? words : ['']);
  for (const w of wordSet) {
    // Own keys only: a source word like "constructor" is not a number.
    if (Object.hasOwn(NUMBER_WORDS, w)) numbers.add(String(NUMBER_WORDS[w]));
  }
  const dates = new Set<string>();
  const monthDays = new Set<string>();
  for (const d of findDates(source)) {
    for (const key of dateKeys(d)) {
      dates.add(key);
      monthDays.add(key.slice(-5));
    }
  }
  return { numbers, dates, monthDays, words: ` ${normalised} `, wordSet };
}

function wordInSource(form: string, source: SourceIndex): boolean {
  const n = normaliseForGrounding(form);
  if (n === '') return true;
  return n.includes(' ') ? source.words.includes(` ${n} `) : source.wordSet.has(n);
}

export function isSupported(claim: Claim, source: SourceIndex): boolean {
  switch (claim.kind) {
    case 'number':
      return numberReadings(claim.text).some((v) => source.numbers.has(v));
    case 'date': {
      const [mention] = findDates(claim.text);
      if (mention === undefined) return true;
      return dateKeys(mention).some((k) =>
        k.startsWith('--') ? source.monthDays.has(k.slice(-5)) : source.dates.has(k),
      );
    }
    case 'name':
      for (const w of claim.text.split(' ')) {
        if (isCommon(w)) continue;
        if (!wordInSource(w, source) && !wordInSource(bareWord(w), source)) return false;
      }
      return true;
  }
}

/** The claims in `text` that `source` does not support. */
export function unsupportedClaims(text: string, source: SourceIndex): Claim[] {
  return extractClaims(text).filter((c) => !isSupported(c, source));
}
