import { describe, expect, it } from 'vitest';
import { chunkText, type Chunk } from '../../shared/tasks/chunking';
import {
  chunkDocument,
  isLongDocument,
  LONG_DOCUMENT_TASKS,
  LongSummarizeInput,
} from '../../shared/tasks/long-document';
import { SUMMARIZE_MAX_TEXT_CHARS } from '../../shared/tasks/summarize';

/** A deterministic generator (mulberry32): the same texts every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'the outage began at noon and writes failed for 41 minutes while Margaret Okafor paged'.split(
    ' ',
  );

/** Paragraphs of sentences of words, with the odd very long word. */
function text(seed: number, chars: number): string {
  const next = random(seed);
  let out = '';
  while (out.length < chars) {
    const words = 3 + Math.floor(next() * 20);
    const sentence = Array.from({ length: words }, () =>
      next() < 0.01
        ? 'x'.repeat(Math.floor(next() * 300))
        : WORDS[Math.floor(next() * WORDS.length)],
    ).join(' ');
    out += `${sentence[0]!.toUpperCase()}${sentence.slice(1)}.${next() < 0.15 ? '\n\n' : ' '}`;
  }
  return out;
}

/** Every invariant a caller relies on, for any text and options. */
function expectSound(source: string, chunks: Chunk[], maxChars: number, overlap: number): void {
  expect(chunks.length).toBeGreaterThan(0);
  expect(chunks[0]!.start).toBe(0);
  expect(chunks.at(-1)!.end).toBe(source.length);
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(c.text).toBe(source.slice(c.start, c.end));
    expect(c.text.length).toBeGreaterThan(0);
    expect(c.text.length).toBeLessThanOrEqual(maxChars);
    const next = chunks[i + 1];
    if (!next) return;
    // No gap (no text lost), progress, and at most the overlap repeated.
    expect(next.start).toBeLessThanOrEqual(c.end);
    expect(next.start).toBeGreaterThan(c.start);
    expect(c.end - next.start).toBeLessThanOrEqual(overlap);
  });
}

describe('chunkText', () => {
  it('keeps a text that fits in one chunk whole', () => {
    expect(chunkText('Short text.', { maxChars: 100, overlapChars: 10 })).toEqual([
      { index: 0, start: 0, end: 11, text: 'Short text.' },
    ]);
  });

  it('loses no text, keeps each chunk within the limit, overlaps by at most the overlap', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const source = text(seed, 2_000 + seed * 397);
      for (const [maxChars, overlap] of [
        [500, 0],
        [500, 80],
        [1_200, 300],
        [97, 48],
      ] as const) {
        expectSound(
          source,
          chunkText(source, { maxChars, overlapChars: overlap }),
          maxChars,
          overlap,
        );
      }
    }
  });

  it('ends chunks at a paragraph, else a sentence, else a space; the next repeats the overlap from a word start', () => {
    const para = `${'A first paragraph sentence. '.repeat(10)}\n\n`;
    const source = para + 'Second paragraph words here. '.repeat(20);
    const [first, second] = chunkText(source, { maxChars: 400, overlapChars: 40 });
    expect(first!.text).toBe(para);
    expect(second!.start).toBeLessThan(first!.end);
    expect(source[second!.start - 1]).toMatch(/\s/);

    const sentences = 'One sentence ends here. '.repeat(30);
    const [s1] = chunkText(sentences, { maxChars: 200, overlapChars: 0 });
    expect(s1!.text.endsWith('here. ')).toBe(true);

    const words = 'word '.repeat(100);
    const [w1] = chunkText(words, { maxChars: 52, overlapChars: 0 });
    expect(w1!.text.endsWith(' ')).toBe(true);
  });

  it('cuts a run with no break at the limit', () => {
    const source = 'x'.repeat(1_050);
    const chunks = chunkText(source, { maxChars: 100, overlapChars: 10 });
    expectSound(source, chunks, 100, 10);
    expect(chunks[0]!.text.length).toBe(100);
  });

  it('refuses limits that could not make progress', () => {
    expect(() => chunkText('abc', { maxChars: 1, overlapChars: 0 })).toThrow(RangeError);
    expect(() => chunkText('abc', { maxChars: 100, overlapChars: 50 })).toThrow(RangeError);
  });
});

describe('long summarize documents', () => {
  const limits = LONG_DOCUMENT_TASKS['summarize']!;

  it('chunks within the single-call limit, and only texts past it are long', () => {
    expect(limits.chunkChars).toBeLessThanOrEqual(SUMMARIZE_MAX_TEXT_CHARS);
    const source = text(7, 300_000);
    const chunks = chunkDocument('summarize', source);
    expectSound(source, chunks, limits.chunkChars, limits.overlapChars);
    expect(chunks.length).toBe(4);
    expect(isLongDocument({ task: 'summarize', input: { text: source } })).toBe(true);
    expect(
      isLongDocument({ task: 'summarize', input: { text: 'x'.repeat(SUMMARIZE_MAX_TEXT_CHARS) } }),
    ).toBe(false);
    expect(isLongDocument({ task: 'classify-ticket', input: { text: source } })).toBe(false);
  });

  it('accepts up to 2,000,000 characters, and names input.text past that', () => {
    expect(LongSummarizeInput.safeParse({ text: 'y'.repeat(2_000_000) }).success).toBe(true);
    const over = LongSummarizeInput.safeParse({ text: 'y'.repeat(2_000_001) });
    expect(over.success).toBe(false);
    expect(over.error?.issues[0]?.path).toEqual(['text']);
    expect(LongSummarizeInput.safeParse({ text: 'ok', extra: 1 }).success).toBe(false);
  });
});
