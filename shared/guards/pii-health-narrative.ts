/**
 * Health data written as narrative (docs/pii-detectors.md#health-narrative): a condition, a
 * symptom, a medication, a treatment or a pregnancy (health-lexicon.ts, six languages) in a
 * sentence about a person ("my daughter", "the patient", "ich nehme", "tengo", "diagnosed").
 * The span is the health term; the request it is found in is `phi` (docs/governance.md). A term
 * alone is not enough ("the new glucometer is on sale"), nor a person alone; the lexicon leaves
 * out the words software and shops share with medicine (health check, diagnostics, virus).
 */
import { CONDITIONS, MEDICATIONS, PERSON_CUES, TREATMENTS } from './health-lexicon';
import { matchAt, span, sticky, wordStarts, type Detector } from './pii-scan';
import type { PiiSpan } from './types';

/** `source` without its look-arounds, `(?!…)`, `(?<=…)`, nested groups and all. */
function withoutLookarounds(source: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < source.length; i += 1) {
    if (depth === 0 && /^\(\?<?[!=]/.test(source.slice(i, i + 4))) depth = 1;
    else if (depth > 0 && source[i] === '(') depth += 1;
    else if (depth > 0 && source[i] === ')') depth -= 1;
    else if (depth === 0) out += source[i];
  }
  return out;
}

/** Each entry of a lexicon line, as a regular-expression fragment, and whether it is in capitals. */
function entries(lines: readonly string[]): Array<{ source: string; capitals: boolean }> {
  return lines
    .flatMap((line) => line.split(', '))
    .map((entry) => {
      const inner = entry.replace(/^\*/, '').replace(/\*$/, '').replace(/ /g, '[\\s-]+');
      const head = entry.startsWith('*') ? String.raw`\p{L}*` : '';
      const tail = entry.endsWith('*') ? String.raw`\p{L}*` : '';
      return {
        source: `${head}${inner}${tail}`,
        capitals: !/\p{Ll}/u.test(withoutLookarounds(entry)),
      };
    });
}

/**
 * One regular expression for a list: whole words, case ignored, and another for the entries in
 * capitals. A word ending in an apostrophe (French "j'") may run into the next word.
 */
function wordsRegExps(lines: readonly string[]): RegExp[] {
  const all = entries(lines);
  const build = (list: typeof all, flags: string): RegExp | undefined =>
    list.length === 0
      ? undefined
      : new RegExp(
          String.raw`(?<![\p{L}\p{N}])(?:${list.map((e) => e.source).join('|')})(?:(?<=')|(?![\p{L}\p{N}]))`,
          flags,
        );
  return [
    build(
      all.filter((e) => !e.capitals),
      'giu',
    ),
    build(
      all.filter((e) => e.capitals),
      'gu',
    ),
  ].filter((re): re is RegExp => re !== undefined);
}

/** Sticky: tried only where a word starts, as every term does (`matchAt`, pii-scan.ts). */
const TERMS = wordsRegExps([...CONDITIONS, ...MEDICATIONS, ...TREATMENTS]).map(sticky);
const CUES_BY_LANGUAGE = Object.fromEntries(
  Object.entries(PERSON_CUES).map(([lang, lines]) => [lang, wordsRegExps(lines)]),
);
const ALL_CUES = wordsRegExps(Object.values(PERSON_CUES).flat());

/**
 * The cues of the tenant's language and English (tickets mix them); all languages' when the
 * language is not one of the six.
 */
const cuesFor = (language: string | undefined): RegExp[] => {
  const own = language ? CUES_BY_LANGUAGE[language] : undefined;
  return own ? (language === 'en' ? own : [...own, ...CUES_BY_LANGUAGE.en!]) : ALL_CUES;
};

/** Short words a full stop follows without ending a sentence: "Mr. Alvarez", "Dr. Kim". */
const ABBREVIATION =
  /(?:^|[^\p{L}])(?:mr|mrs|ms|dr|hr|fr|st|sr|sra|sig|nr|no|mme|m|z\.b|e\.g|i\.e)$/iu;
/** How far a sentence is read either side of a term. */
const REACH = 160;

function isSentenceEnd(text: string, i: number): boolean {
  const c = text[i]!;
  if (c === '\n' || c === '!' || c === '?') return true;
  if (c !== '.' || !/\s/.test(text[i + 1] ?? ' ')) return false;
  return !ABBREVIATION.test(text.slice(Math.max(0, i - 4), i));
}

/** The sentence around [start, end), without the term itself, at most REACH characters each side. */
function sentenceAround(text: string, start: number, end: number): string {
  let from = start;
  while (from > 0 && start - from < REACH && !isSentenceEnd(text, from - 1)) from -= 1;
  let to = end;
  while (to < text.length && to - end < REACH && !isSentenceEnd(text, to)) to += 1;
  return `${text.slice(from, start)} … ${text.slice(end, to)}`.replace(/[’ʼ]/g, "'");
}

/** A title before a term makes it a name: "Mr. Parkinson", "Frau Krebs", "Dr. Alzheimer". */
const TITLE = /(?<![\p{L}])(?:mr|mrs|ms|dr|prof|herr|frau|mme|mlle|sr|sra|sig|dhr|mevr)\.?\s+$/iu;

const hasCue = (sentence: string, cues: readonly RegExp[]): boolean =>
  cues.some((re) => {
    re.lastIndex = 0;
    return re.test(sentence);
  });

export const detectHealthNarrative: Detector = (text, context) => {
  const cues = cuesFor(context.language);
  const found: PiiSpan[] = [];
  const starts = wordStarts(text);
  for (const re of TERMS) {
    for (const m of matchAt(re, text, starts)) {
      const start = m.index;
      const end = start + m[0].length;
      if (TITLE.test(text.slice(Math.max(0, start - 8), start))) continue;
      if (hasCue(sentenceAround(text, start, end), cues)) {
        found.push(span('health-condition', text, start, end, 0.8));
      }
    }
  }
  return found;
};
