import { describe, expect, it } from 'vitest';
import { censorToxicity, detectToxicity } from '../../shared/guards/toxicity';
import corpus from '../fixtures/guards/toxicity-corpus.json';
import { INJECTED } from '../mock-upstream/content';

const toxic = (text: string): boolean => detectToxicity(text).score >= 0.5;
const terms = (text: string): string[] => detectToxicity(text).matches.map((m) => m.term);

describe('detectToxicity', () => {
  it("catches the mock model's planted profanity, word by word", () => {
    const scan = detectToxicity(INJECTED.profanity);
    expect(scan.score).toBeGreaterThanOrEqual(0.5);
    expect(scan.matches).toEqual([
      { start: 8, end: 12, term: 'damn' },
      { start: 13, end: 19, term: 'stupid' },
      { start: 20, end: 24, term: 'crap' },
    ]);
  });

  it('scores by severity: one strong word or slur is enough, one mild word is not', () => {
    expect(detectToxicity('Refund processed, thank you!')).toEqual({ score: 0, matches: [] });
    expect(detectToxicity('oh shit').score).toBe(0.6);
    expect(detectToxicity('What the fuck is this shit').score).toBeGreaterThan(0.8);
    expect(detectToxicity('Damn, I forgot my password again.').score).toBeLessThan(0.5);
    expect(detectToxicity('That was a stupid mistake on my part.').score).toBeLessThan(0.5);
  });

  it('takes an insult aimed at the reader seriously', () => {
    expect(toxic('You idiot.')).toBe(true);
    expect(toxic("You're such a moron.")).toBe(true);
    expect(toxic('ur a dumbass')).toBe(true);
  });

  it('sees through leetspeak, symbols and stretched letters', () => {
    expect(terms('sh!t service')).toEqual(['shit']);
    expect(terms('You b1tch')).toEqual(['bitch']);
    expect(terms('fuuuuuck this update')).toEqual(['fuck']);
    expect(terms('Go f*ck yourself')).toEqual(['fuck']);
  });

  it('leaves Scunthorpe-style words alone', () => {
    const clean = [
      'Scunthorpe',
      'assessment',
      'class',
      'cockpit',
      'Dickens',
      'shitake',
      'shiitake',
      'Penistone',
      'rapeseed',
      'magna cum laude',
      'cumin',
      'scrap',
      'skyscraper',
      'oxymoron',
      'Essex',
      'therapist',
      'cocktail',
    ];
    for (const word of clean) expect(detectToxicity(word), word).toEqual({ score: 0, matches: [] });
  });

  it('counts an overlapping match once ("dumb ass" is both dumbass and ass)', () => {
    expect(detectToxicity('dumb ass').score).toBe(0.6);
  });

  it('uses UTF-16 offsets like the rest of the guards', () => {
    const text = '😀 fuck off';
    const [match] = detectToxicity(text).matches;
    expect(text.slice(match?.start, match?.end)).toBe('fuck');
  });
});

describe('censorToxicity', () => {
  it('masks the letters of each match and keeps everything else', () => {
    const text = INJECTED.profanity;
    expect(censorToxicity(text, detectToxicity(text))).toBe('this is **** ****** ****');
    const emoji = '😀 fuck off 😀';
    expect(censorToxicity(emoji, detectToxicity(emoji))).toBe('😀 **** off 😀');
    expect(censorToxicity('all good', detectToxicity('all good'))).toBe('all good');
  });
});

describe('detectToxicity: labelled corpus', () => {
  const cases = corpus.cases;
  const results = cases.map((c) => ({ ...c, flagged: toxic(c.text) }));
  const tp = results.filter((c) => c.toxic && c.flagged).length;
  const fp = results.filter((c) => !c.toxic && c.flagged).length;
  const fn = results.filter((c) => c.toxic && !c.flagged).length;

  it('has toxic and clean cases with unique ids', () => {
    expect(cases.filter((c) => c.toxic).length).toBeGreaterThanOrEqual(30);
    expect(cases.filter((c) => !c.toxic).length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  // Measured 0.94 precision and 0.91 recall. Known misses: spaced-out and heavily starred words
  // ("motherf***er"), insults without a listed word ("worthless piece of trash"). Known false
  // positives: the Spanish "negro" and names such as "Dick Smith".
  it('keeps precision at or above 0.9 and recall at or above 0.85', () => {
    const wrong = results.filter((c) => c.flagged !== c.toxic).map((c) => c.id);
    expect(tp / (tp + fp), `wrong: ${wrong.join(', ')}`).toBeGreaterThanOrEqual(0.9);
    expect(tp / (tp + fn), `wrong: ${wrong.join(', ')}`).toBeGreaterThanOrEqual(0.85);
  });
});
