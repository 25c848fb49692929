/**
 * Extractive question answering behind the built-in `local` provider for `answer`: BM25 over
 * the sentences of all documents, the best one to three sentences as the answer, each cited
 * verbatim. Citations are exact substrings of the documents, so grounding passes by
 * construction. Bundled into workflow code: no I/O, no clock, no randomness.
 *
 * - Tokens: the grounding normaliser's words (lower case, no punctuation, diacritics folded),
 *   minus a small English stopword list, through the summariser's light stemmer
 *   (`refunds`/`refunded`/`refunding` → `refund`).
 * - Scoring: BM25 with k1 = 1.2, b = 0.75 and the always-positive idf ln(1 + (N − df + 0.5) /
 *   (df + 0.5)), N counting sentences across all documents.
 * - Abstaining: a sentence answers only if it covers more than `MIN_COVERAGE` (half) of the
 *   question's idf weight, a question word found nowhere weighing as much as the rarest word that
 *   is found: matching "Keel" in a question about Keel's CEO is not an answer. Otherwise the
 *   answer is `NO_ANSWER` with no citations.
 * - Up to `MAX_SENTENCES` sentences: each further one must score at least 60% of the best and
 *   cover as much of the question. Fragments under four words (headings) score half.
 * - Sentences longer than a citation may be (1,000 characters) are cut at spaces into passages.
 */
import { normaliseForGrounding } from '../grounding';
import { splitSentences, stemWord } from './summarize-extractive';

export interface RetrievalDocument {
  id: string;
  text: string;
}

export interface RetrievalInput {
  question: string;
  documents: RetrievalDocument[];
}

export interface Citation {
  documentId: string;
  quote: string;
}

export interface RetrievedAnswer {
  answer: string;
  citations: Citation[];
}

export interface ScoredPassage extends Citation {
  score: number;
  /** Share of the question's idf weight this passage matches, 0..1. */
  coverage: number;
}

export const NO_ANSWER = 'The documents do not answer this question.';
export const MAX_QUOTE_CHARS = 1_000;
const K1 = 1.2;
const B = 0.75;
const MAX_SENTENCES = 3;
export const MIN_COVERAGE = 0.5;
/** Further sentences join the answer only when nearly as relevant as the best one. */
const RELATIVE_SCORE = 0.6;

// prettier-ignore
const STOPWORDS = new Set((
  'a an the and or but if of to in on at by for from with about into as is are was were be been ' +
  'being am do does did doing have has had having what which who whom whose when where why how ' +
  'this that these those there here it its i me my we our you your he him his she her they them ' +
  'their can could would should will shall may might must not no so than then too very just any ' +
  'some all each per tell please know according document documents text say says said get gets ' +
  'got take takes took make makes made need needs want wants give gives'
).split(' '));
/** "How long", "how much"...: the second word is part of the question, not its topic. */
const QUESTION_PHRASE = /\bhow (?:long|much|many|often|far|soon|big|old|large|fast)\b/g;
/** Headings and fragments ("Refund policy") match many questions and answer none. */
const FRAGMENT_WORDS = 4;
const FRAGMENT_FACTOR = 0.5;

export function tokenize(text: string): string[] {
  return normaliseForGrounding(text)
    .replace(QUESTION_PHRASE, ' ')
    .split(' ')
    .filter((t) => t !== '' && !STOPWORDS.has(t))
    .map(stemWord);
}

/** Cuts `text` at spaces into verbatim pieces of at most `max` characters. */
function chunk(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = rest.lastIndexOf(' ', max);
    const at = cut > 0 ? cut : max;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest !== '') out.push(rest);
  return out;
}

interface Passage {
  documentId: string;
  quote: string;
  tf: Map<string, number>;
  length: number;
}

function passagesOf(documents: RetrievalDocument[]): Passage[] {
  return documents.flatMap((doc) =>
    splitSentences(doc.text)
      .flatMap((s) => chunk(s, MAX_QUOTE_CHARS))
      .map((quote): Passage => {
        const tokens = tokenize(quote);
        const tf = new Map<string, number>();
        for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
        return { documentId: doc.id, quote, tf, length: tokens.length };
      }),
  );
}

/** Every passage with its BM25 score and question coverage, best first (ties: reading order). */
export function rankPassages(input: RetrievalInput): ScoredPassage[] {
  const query = [...new Set(tokenize(input.question))];
  const passages = passagesOf(input.documents);
  const n = passages.length;
  if (query.length === 0 || n === 0) return [];
  const avgLength = Math.max(1, passages.reduce((s, p) => s + p.length, 0) / n);
  const idfOf = (count: number): number => Math.log(1 + (n - count + 0.5) / (count + 0.5));
  const df = new Map(query.map((t) => [t, passages.filter((p) => p.tf.has(t)).length] as const));
  const idf = (t: string): number => idfOf(df.get(t) ?? 0);
  // A question word no passage contains weighs as much as the rarest word that occurs.
  const weight = (t: string): number => idfOf(Math.max(1, df.get(t) ?? 0));
  const totalWeight = query.reduce((s, t) => s + weight(t), 0);
  return passages
    .map((p, index) => {
      let score = 0;
      let matched = 0;
      for (const t of query) {
        const tf = p.tf.get(t) ?? 0;
        if (tf === 0) continue;
        const norm = K1 * (1 - B + (B * p.length) / avgLength);
        score += (idf(t) * (tf * (K1 + 1))) / (tf + norm);
        matched += weight(t);
      }
      if (p.quote.split(/\s+/).length < FRAGMENT_WORDS) score *= FRAGMENT_FACTOR;
      const coverage = totalWeight > 0 ? matched / totalWeight : 0;
      return { documentId: p.documentId, quote: p.quote, score, coverage, index };
    })
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map(({ index: _index, ...scored }) => scored);
}

export function answerFromDocuments(input: RetrievalInput): RetrievedAnswer {
  const ranked = rankPassages(input);
  const best = ranked[0];
  if (best === undefined || best.score <= 0 || best.coverage <= MIN_COVERAGE)
    return { answer: NO_ANSWER, citations: [] };
  const chosen: ScoredPassage[] = [];
  const seen = new Set<string>();
  for (const p of ranked) {
    if (chosen.length >= MAX_SENTENCES || p.score < best.score * RELATIVE_SCORE) break;
    const key = normaliseForGrounding(p.quote);
    // A further sentence must match as much of the question as the best one, not just share a word.
    if (p.coverage < best.coverage - 1e-9 || seen.has(key)) continue;
    seen.add(key);
    chosen.push(p);
  }
  return {
    answer: chosen.map((p) => p.quote).join(' '),
    citations: chosen.map((p) => ({ documentId: p.documentId, quote: p.quote })),
  };
}
