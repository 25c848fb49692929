/**
 * The hand-written scanners behind grounding give exactly what the regular expressions they
 * replaced give: the normaliser, the claim extractor's words and the summary's word count, on the
 * guard corpora, the test texts and every UTF-16 code unit in a few contexts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { groundingWords, normaliseForGrounding } from '../../shared/tasks/grounding';
import { countWords } from '../../shared/tasks/summarize';
import { scanWords } from '../../shared/tasks/word-scan';
import { ARTICLE } from '../fixtures/texts';

/** The normaliser as it was written with regular expressions (see grounding.ts). */
function referenceNormalise(text: string): string {
  const foldRun = (run: string): string =>
    run
      .normalize('NFKC')
      .replace(/[‘’‚‛′`´]/g, "'")
      .replace(/[“”„‟″«»]/g, '"')
      .replace(/[‐‑‒–—―−]/g, '-')
      .toLowerCase()
      .normalize('NFD')
      .replace(/\p{M}+/gu, '');
  return text
    .replace(/[^\t\n\r\x20-\x7e]+/g, foldRun)
    .toLowerCase()
    .replace(/['`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

const WORD = /\p{L}[\p{L}\p{M}\p{N}]*(?:['’.-]\p{L}[\p{L}\p{M}\p{N}]*)*\.?/gu;
const referenceWords = (text: string): Array<[string, number]> =>
  [...text.matchAll(WORD)].map((m): [string, number] => [m[0], m.index]);
const scannedWords = (text: string): Array<[string, number]> => {
  const out: Array<[string, number]> = [];
  scanWords(text, (word, index) => out.push([word, index]));
  return out;
};

const referenceCount = (text: string): number =>
  text.split(/\s+/).filter((w) => w.length > 0).length;

const corpus = (file: string): string[] =>
  (
    JSON.parse(readFileSync(path.join(__dirname, '../fixtures/guards', file), 'utf8')) as {
      cases: Array<{ text: string }>;
    }
  ).cases.map((c) => c.text);

const TEXTS = [
  ARTICLE,
  '  Don’t  “Stop”—now!  Ｆｕｌｌ ﬁle Crème ',
  'ΟΔΟΣ İstanbul ǅemal 𝐀lpha Dr. O’Brien-Smith’s e.g. U.S. a..b 1,200.50 ٣² ½ Ⅻ',
  'lone \ud800 high, lone \udc00 low, pair 😀, mark a\u0301, control \x01\x7f, nbsp\u00a0x\u202fy',
  ...corpus('pii-corpus.json'),
  ...corpus('injection-corpus.json'),
  ...corpus('toxicity-corpus.json'),
];

/** Every UTF-16 code unit between letters, digits, joiners and itself. */
function* everyCodeUnit(): Generator<string> {
  for (let c = 0; c < 0x10000; c += 1) {
    const ch = String.fromCharCode(c);
    yield `a${ch}b A.${ch}.9 x'${ch}${ch} -${ch}`;
  }
}

/** The texts on which `actual` and `expected` differ (JSON-compared), at most five. */
function mismatches<T>(actual: (t: string) => T, expected: (t: string) => T): string[] {
  const out: string[] = [];
  for (const text of [...TEXTS, ...everyCodeUnit()]) {
    if (JSON.stringify(actual(text)) !== JSON.stringify(expected(text))) out.push(text);
    if (out.length >= 5) break;
  }
  return out;
}

describe('grounding scanners', () => {
  it('normalise as the regular expressions did', () => {
    const both = (t: string): [string, string[]] => [normaliseForGrounding(t), groundingWords(t)];
    const reference = (t: string): [string, string[]] => {
      const n = referenceNormalise(t);
      return [n, n === '' ? [] : n.split(' ')];
    };
    expect(mismatches(both, reference)).toEqual([]);
    // Unicode normalisation of 65,536 texts, twice: a few seconds on a busy machine.
  }, 60_000);

  it("find the claim extractor's words as its regular expression did", () => {
    expect(mismatches(scannedWords, referenceWords)).toEqual([]);
  }, 30_000);

  it('count words as split(/\\s+/) did', () => {
    expect(mismatches(countWords, referenceCount)).toEqual([]);
  });

  it('would notice a difference', () => {
    expect(
      mismatches(countWords, (t) => referenceCount(t) + (t.includes('é') ? 1 : 0)),
    ).not.toEqual([]);
  });
});
