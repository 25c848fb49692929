/**
 * Extractive summariser behind the built-in `local` provider.
 *
 * It only ever copies sentences from the source (or a word-boundary prefix of one), so it
 * cannot invent numbers or names. It is bundled into Temporal workflow code, hence: no
 * imports, no clock, no randomness; the same input always yields the same output.
 */

export interface ExtractiveSummaryInput {
  text: string;
  maxWords: number;
}

export interface ExtractiveSummary {
  summary: string;
  keyPoints: string[];
}

interface Sentence {
  text: string;
  index: number;
  words: number;
  tokens: string[]; // content-word stems with repeats, for term frequency
  stems: Set<string>;
  score: number;
}

const ELLIPSIS = '…';
const MAX_KEY_POINTS = 5;
const KEY_POINT_MAX_WORDS = 25;
const DUPLICATE_JACCARD = 0.6;
/** Multiplicative bonus for the first sentences: openings usually state the topic. */
const POSITION_BONUS: readonly number[] = [0.3, 0.15, 0.075];
const SHORT_SENTENCE_WORDS = 4;
const SHORT_SENTENCE_FACTOR = 0.5;

/** A period after these never ends a sentence (titles, Latin shorthands). */
const NEVER_SPLIT = new Set('mr. mrs. ms. dr. prof. sr. jr. st. vs. e.g. i.e. cf. fig.'.split(' '));
/** These may or may not end a sentence; we split only when a capital letter follows. */
const SOFT_SPLIT = new Set('etc. inc. ltd. co. corp. no.'.split(' '));
/** After a dotted acronym ("U.S."), only these next words make us end the sentence. */
// prettier-ignore
const SENTENCE_OPENERS = new Set((
  'the this that these those it its we they he she i you there in on at but and a an ' +
  'however after since then when while for our their'
).split(' '));
const BULLET = /^\s*(?:[-*•‣◦–+>]|#{1,6}|\d{1,3}[.)])\s+/;
const CLOSERS = /[.!?"'”’)\]]/;

// prettier-ignore
const STOPWORDS = new Set((
  'a about above after again against all also am an and any are as at be because been before ' +
  'being below between both but by can could did do does doing down during each few for from ' +
  'further had has have having he her here hers him his how if in into is it its itself just ' +
  'may me might more most much must my no nor not now of off on once only or other our ours out ' +
  'over own same she should so some such than that the their them then there these they this ' +
  'those through to too under until up us very was we were what when where which while who whom ' +
  'why will with would you your yours yet however said says many one two new i don doesn didn ' +
  'isn wasn aren won couldn shouldn wouldn ll ve re'
).split(' '));

/** Tiny suffix stemmer: enough for "charges"/"charged"/"charge" to meet; not linguistics. */
export function stemWord(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  let stripped = false;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('ing') && w.length > 5) [w, stripped] = [w.slice(0, -3), true];
  else if (w.endsWith('ed') && w.length > 4) [w, stripped] = [w.slice(0, -2), true];
  else if (w.endsWith('es') && w.length > 4) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  // "stopped" -> "stopp" -> "stop"; keep ll/ss/zz ("billed" -> "bill").
  if (stripped && /([b-df-hj-km-rtv-y])\1$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  return w;
}

/** A word is a whitespace-separated token, as the budget is checked by callers. */
const countWords = (text: string): number => text.split(/\s+/).filter((w) => w.length > 0).length;

function contentStems(text: string): string[] {
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return tokens.filter((t) => t.length > 1 && !STOPWORDS.has(t)).map(stemWord);
}

const NEXT_WORD = /\s*(\S+)/y;

/** Decides whether the "." at `dot` ends a sentence, given the text after the punctuation run. */
function periodEndsSentence(line: string, dot: number, after: number): boolean {
  // Scans out from the dot (no slicing of the line), so a long one-line text stays linear.
  let from = dot;
  while (from > 0 && !/\s/.test(line[from - 1] ?? '')) from--;
  const token = line.slice(from, dot + 1).replace(/^[("'“‘[]+/, '');
  const lower = token.toLowerCase();
  if (NEVER_SPLIT.has(lower) || /^[A-Z]\.$/.test(token)) return false; // titles, initials ("J. Smith")
  NEXT_WORD.lastIndex = after;
  const nextWord = NEXT_WORD.exec(line)?.[1] ?? '';
  // "U.S. Energy Department" is far more common than an acronym ending a sentence, so a
  // capital alone is not enough: the next word must look like a sentence opener.
  if (/^(?:[a-z]\.){2,}$/.test(lower)) return SENTENCE_OPENERS.has(nextWord.toLowerCase());
  if (SOFT_SPLIT.has(lower)) return /^[A-Z]/.test(nextWord); // "etc. The" vs "etc. and"
  return true;
}

/** Splits text into trimmed, verbatim sentences; newlines and bullets are hard boundaries. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const push = (segment: string): void => {
    const trimmed = segment.trim();
    if (/[\p{L}\p{N}]/u.test(trimmed)) out.push(trimmed);
  };
  for (const rawLine of text.split(/\r?\n|\r/)) {
    const line = rawLine.replace(BULLET, '');
    let start = 0;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i] ?? '';
      if (ch !== '.' && ch !== '!' && ch !== '?') continue;
      let end = i + 1;
      while (end < line.length && CLOSERS.test(line[end] ?? '')) end++;
      const next = line[end];
      // "3.5", "example.com", "?!" inside a token: not a boundary.
      const inToken = next !== undefined && !/\s/.test(next);
      const singleDot = ch === '.' && !/[.!?]/.test(line[i + 1] ?? '');
      if (inToken || (singleDot && !periodEndsSentence(line, i, end))) continue;
      push(line.slice(start, end));
      start = end;
      i = end - 1;
    }
    push(line.slice(start));
  }
  return out;
}

/** Keeps the first `maxWords` words of `text` (a verbatim prefix) and marks the cut with "…". */
export function truncateWords(text: string, maxWords: number): string {
  const words = [...text.matchAll(/\S+/g)];
  if (words.length <= maxWords) return text;
  const last = words[maxWords - 1];
  if (maxWords <= 0 || last === undefined) return '';
  const cut = text.slice(0, (last.index ?? 0) + last[0].length).replace(/[\s,;:\-–—(]+$/, '');
  return `${cut}${ELLIPSIS}`;
}

function jaccard(a: Sentence, b: Sentence): number {
  if (a.stems.size + b.stems.size === 0)
    return a.text.toLowerCase() === b.text.toLowerCase() ? 1 : 0;
  let shared = 0;
  for (const s of a.stems) if (b.stems.has(s)) shared++;
  return shared / (a.stems.size + b.stems.size - shared);
}

function scoreSentences(texts: string[]): Sentence[] {
  const sentences = texts.map((text, index): Sentence => {
    const tokens = contentStems(text);
    return { text, index, words: countWords(text), tokens, stems: new Set(tokens), score: 0 };
  });
  // Document-level term frequency: words the text keeps returning to are its topic.
  const tf = new Map<string, number>();
  for (const s of sentences) for (const stem of s.tokens) tf.set(stem, (tf.get(stem) ?? 0) + 1);
  const maxTf = Math.max(1, ...tf.values());
  for (const s of sentences) {
    // Distinct stems only: repeating a word inside one sentence should not inflate it.
    let sum = 0;
    for (const stem of s.stems) sum += (tf.get(stem) ?? 0) / maxTf;
    // sqrt keeps long sentences from winning on length alone without favouring fragments.
    let score = sum / Math.sqrt(Math.max(1, s.words));
    score *= 1 + (POSITION_BONUS[s.index] ?? 0);
    if (s.words < SHORT_SENTENCE_WORDS) score *= SHORT_SENTENCE_FACTOR;
    if (s.text.endsWith(':')) score = 0; // a list heading ("Key findings:") says nothing alone
    s.score = score;
  }
  return sentences;
}

export function summarizeExtractive(input: ExtractiveSummaryInput): ExtractiveSummary {
  const budget = Number.isNaN(input.maxWords) ? 0 : Math.max(0, Math.floor(input.maxWords));
  const byScore = (a: Sentence, b: Sentence): number => b.score - a.score || a.index - b.index;
  // Text made only of symbols ("---") has no sentence, but its tokens still count as words.
  const texts = splitSentences(input.text);
  if (texts.length === 0 && input.text.trim() !== '') texts.push(input.text.trim());
  const ranked = scoreSentences(texts).sort(byScore); // ties: earlier first
  const top = ranked[0];
  if (top === undefined) return { summary: '', keyPoints: [] };

  // Greedy by score; a sentence that does not fit is skipped so shorter ones can still fill the budget.
  const chosen: Sentence[] = [];
  let used = 0;
  for (const s of ranked) {
    if (used + s.words > budget) continue;
    if (s.score === 0 && chosen.length > 0) continue; // no content words: filler
    if (chosen.some((c) => jaccard(c, s) > DUPLICATE_JACCARD)) continue;
    chosen.push(s);
    used += s.words;
  }

  // When nothing fits, even the best sentence is over budget: keep its opening words.
  const keyPoint = (s: Sentence): string => truncateWords(s.text, KEY_POINT_MAX_WORDS);
  const keyPoints = (chosen.length > 0 ? chosen : [top]).slice(0, MAX_KEY_POINTS).map(keyPoint);
  if (chosen.length === 0) return { summary: truncateWords(top.text, budget), keyPoints };
  const inOrder = [...chosen].sort((a, b) => a.index - b.index);
  return { summary: inOrder.map((s) => s.text).join(' '), keyPoints };
}
