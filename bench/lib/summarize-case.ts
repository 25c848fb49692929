/**
 * The realistic 10 KB case the guard benchmarks time: whole texts from the labelled corpora in
 * test/fixtures/guards, interleaved (mostly ordinary traffic, some attacks), and a `summarize`
 * answer copied from it sentence by sentence, so every validation layer runs and passes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PiiCorpusCase } from '../../shared/guards/corpus-score';
import type { InjectionKind } from '../../shared/guards/types';
import { countWords, summarize } from '../../shared/tasks/summarize';

const ROOT = path.resolve(__dirname, '../..');
export const TEXT_CHARS = 10 * 1024;

export interface InjectionCase {
  id: string;
  text: string;
  injection: boolean;
  kind?: InjectionKind;
}
export interface ToxicityCase {
  id: string;
  text: string;
  toxic: boolean;
}

export const loadCorpus = <T>(file: string): T[] =>
  (
    JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/guards', file), 'utf8')) as {
      cases: T[];
    }
  ).cases;

/** Whole corpus texts, interleaved (mostly ordinary traffic, some attacks), cut to 10 KB. */
export function mixedText(pii: PiiCorpusCase[], inj: InjectionCase[], tox: ToxicityCase[]): string {
  const benign = inj.filter((c) => !c.injection);
  const attacks = inj.filter((c) => c.injection);
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < TEXT_CHARS; i += 1) {
    const next = [pii[i % pii.length], benign[i % benign.length], tox[i % tox.length]];
    if (i % 4 === 3) next.push(attacks[(i * 7) % attacks.length]);
    for (const c of next) {
      if (!c) continue;
      parts.push(c.text);
      length += c.text.length + 2;
    }
  }
  let text = parts.join('\n\n').slice(0, TEXT_CHARS);
  if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
  return text;
}

/**
 * A summarize call on the 10 KB text whose output is that text itself, sentence by sentence, with
 * three of its sentences as key points, so that every layer runs and passes: every PII value and
 * profanity in the output was in the input. A sentence the grounding check rejects although it is
 * copied from the source is left out and reported (`dropped`): that is a grounding false positive.
 * `maxWords` is the summary's length: validateAnswer does not re-parse the input (the schema
 * caps it at 500 for callers).
 */
export function summarizeCase(text: string): {
  input: { text: string; maxWords: number };
  output: { summary: string; keyPoints: string[] };
  dropped: string[];
} {
  const grounded = (summary: string): string[] =>
    (summarize.grounding?.({ summary, keyPoints: ['-'] }, { text, maxWords: 1e6 }) ?? []).map(
      (v) => v.message,
    );
  // Whole sentences with the whitespace after them; the last, unterminated piece is left out.
  const sentences = text.match(/[^]*?[.!?](?:\s+|$)/g) ?? [];
  let summary = '';
  const dropped: string[] = [];
  for (const sentence of sentences) {
    const issues = grounded(summary + sentence);
    if (issues.length === 0) summary += sentence;
    else dropped.push(...issues);
  }
  summary = summary.trim();
  const whole = summary.split(/(?<=[.!?])\s+/).filter((s) => s.length > 20);
  const keyPoints = [0, Math.floor(whole.length / 2), whole.length - 1].map((i) => whole[i]!);
  return {
    input: { text, maxWords: countWords(summary) },
    output: { summary, keyPoints },
    dropped,
  };
}

/** The whole case from the corpora: the text, the summarize input and output. */
export function loadSummarizeCase(): ReturnType<typeof summarizeCase> & { text: string } {
  const text = mixedText(
    loadCorpus<PiiCorpusCase>('pii-corpus.json'),
    loadCorpus<InjectionCase>('injection-corpus.json'),
    loadCorpus<ToxicityCase>('toxicity-corpus.json'),
  );
  return { text, ...summarizeCase(text) };
}
