import { describe, it, expect } from 'vitest';
import {
  splitSentences,
  summarizeExtractive,
  truncateWords,
} from '../../shared/tasks/local/summarize-extractive';
import { ARTICLE } from '../fixtures/texts';

const words = (text: string): number => text.split(/\s+/).filter((w) => w.length > 0).length;

/** True when `summary` is some source sentences, unchanged and in source order, joined by spaces. */
function isOrderedSelection(summary: string, sentences: string[]): boolean {
  let rest = summary;
  for (const s of sentences) {
    if (rest === s) return true;
    if (rest.startsWith(`${s} `)) rest = rest.slice(s.length + 1);
  }
  return false;
}

describe('splitSentences', () => {
  it('does not split on abbreviations, titles or decimals', () => {
    const sentences = splitSentences(
      'Dr. Smith met Mr. Jones at the U.S. Energy Department. Growth was 3.5 percent, e.g. in tech! Was it good? Yes.',
    );
    expect(sentences).toEqual([
      'Dr. Smith met Mr. Jones at the U.S. Energy Department.',
      'Growth was 3.5 percent, e.g. in tech!',
      'Was it good?',
      'Yes.',
    ]);
  });

  it('treats newlines and bullets as boundaries and drops the bullet marker', () => {
    expect(splitSentences('Intro line\n- first point\n* second point\n2. third point')).toEqual([
      'Intro line',
      'first point',
      'second point',
      'third point',
    ]);
  });

  it('returns verbatim substrings of the source', () => {
    for (const s of splitSentences(ARTICLE)) expect(ARTICLE).toContain(s);
  });
});

describe('summarizeExtractive', () => {
  it('respects the word budget across a range of maxWords', () => {
    for (let maxWords = 1; maxWords <= 200; maxWords += 3) {
      const { summary, keyPoints } = summarizeExtractive({ text: ARTICLE, maxWords });
      expect(words(summary)).toBeLessThanOrEqual(maxWords);
      expect(summary.length).toBeGreaterThan(0);
      expect(keyPoints.length).toBeGreaterThan(0);
      expect(keyPoints.length).toBeLessThanOrEqual(5);
      for (const kp of keyPoints) expect(words(kp)).toBeLessThanOrEqual(25);
    }
  });

  it('uses most of a generous budget', () => {
    const { summary } = summarizeExtractive({ text: ARTICLE, maxWords: 60 });
    expect(words(summary)).toBeGreaterThanOrEqual(40);
  });

  it('only copies sentences verbatim from the source, in source order', () => {
    for (const maxWords of [15, 30, 60, 120, 500]) {
      const { summary, keyPoints } = summarizeExtractive({ text: ARTICLE, maxWords });
      expect(isOrderedSelection(summary, splitSentences(ARTICLE)), summary).toBe(true);
      for (const kp of keyPoints) {
        expect(ARTICLE).toContain(kp.replace(/…$/, ''));
        if (!kp.endsWith('…')) expect(summary).toContain(kp);
      }
    }
  });

  it('keeps abbreviations and decimals inside the chosen sentence', () => {
    const { summary } = summarizeExtractive({ text: ARTICLE, maxWords: 200 });
    expect(summary).toContain(
      'Dr. Alvarez of the U.S. Energy Department said the solar boom was driven by falling panel prices, e.g. modules now cost $0.30 per watt.',
    );
    expect(summary).toContain('rose 3.5 percent in 2023');
  });

  it('picks the sentence carrying the main topic over the opening fluff', () => {
    const { summary, keyPoints } = summarizeExtractive({ text: ARTICLE, maxWords: 30 });
    expect(summary).toMatch(/solar/i);
    expect(summary).not.toContain('Lisbon');
    expect(keyPoints[0]).toMatch(/solar/i);
    expect(summary).not.toContain('Lunch was served');
  });

  it('drops near-duplicate sentences', () => {
    const text = [
      'The new battery lasts twelve hours on a single charge.',
      'Reviewers praised the bright display and the sturdy hinge.',
      'The new battery lasts twelve hours on a single charge, reviewers said.',
      'The new battery lasts twelve hours on a single charge.',
      'Shipping starts in May across Europe and Japan.',
    ].join(' ');
    const { summary, keyPoints } = summarizeExtractive({ text, maxWords: 500 });
    expect(summary.match(/battery lasts twelve hours/g)).toHaveLength(1);
    expect(summary).toContain('bright display');
    expect(summary).toContain('Shipping starts in May');
    expect(new Set(keyPoints).size).toBe(keyPoints.length);
  });

  it('truncates the best sentence at a word boundary when nothing fits', () => {
    const text =
      'The quarterly revenue of the northern division grew by twelve percent thanks to strong demand for refurbished industrial pumps.';
    const { summary, keyPoints } = summarizeExtractive({ text, maxWords: 6 });
    expect(summary).toBe('The quarterly revenue of the northern…');
    expect(words(summary)).toBe(6);
    expect(keyPoints).toEqual([text]);
  });

  it('truncates key points to 25 words', () => {
    const long = `${Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')}.`;
    const { keyPoints } = summarizeExtractive({ text: long, maxWords: 10 });
    expect(keyPoints).toHaveLength(1);
    expect(words(keyPoints[0] ?? '')).toBe(25);
    expect(keyPoints[0]).toMatch(/^word0 .* word24…$/);
  });

  it('is deterministic', () => {
    const a = summarizeExtractive({ text: ARTICLE, maxWords: 45 });
    const b = summarizeExtractive({ text: ARTICLE, maxWords: 45 });
    expect(a).toEqual(b);
  });

  it('handles empty and stopword-only text', () => {
    expect(summarizeExtractive({ text: '   ', maxWords: 20 })).toEqual({
      summary: '',
      keyPoints: [],
    });
    const r = summarizeExtractive({ text: 'It is what it is.', maxWords: 20 });
    expect(r.summary).toBe('It is what it is.');
    expect(r.keyPoints).toEqual(['It is what it is.']);
    expect(summarizeExtractive({ text: ' --- ', maxWords: 20 })).toEqual({
      summary: '---',
      keyPoints: ['---'],
    });
  });
});

describe('truncateWords', () => {
  it('keeps short text as is and trims trailing punctuation before the ellipsis', () => {
    expect(truncateWords('one two three', 3)).toBe('one two three');
    expect(truncateWords('one, two, three', 2)).toBe('one, two…');
  });
});
