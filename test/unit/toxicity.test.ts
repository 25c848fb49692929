import { describe, expect, it } from 'vitest';
import {
  censorToxicity,
  detectToxicity,
  detectToxicityUnwindowed,
} from '../../shared/guards/toxicity';
import corpus from '../fixtures/guards/toxicity-corpus.json';
import injectionCorpus from '../fixtures/guards/injection-corpus.json';
import piiCorpus from '../fixtures/guards/pii-corpus.json';
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

describe('detectToxicity: the windowed scan equals the full matcher', () => {
  const same = (text: string): void => {
    expect(detectToxicity(text), JSON.stringify(text.slice(0, 80))).toEqual(
      detectToxicityUnwindowed(text),
    );
  };

  it('on every corpus text', () => {
    for (const c of [...corpus.cases, ...injectionCorpus.cases, ...piiCorpus.cases]) same(c.text);
  });

  it("on the benchmark's 10 KB mixed text", () => {
    // As bench/guards.ts stitches it: PII, benign and toxic texts in turn, an attack every fourth.
    const benign = injectionCorpus.cases.filter((c) => !c.injection);
    const attacks = injectionCorpus.cases.filter((c) => c.injection);
    const parts: string[] = [];
    for (let i = 0, length = 0; length < 10 * 1024; i += 1) {
      const next = [
        piiCorpus.cases[i % piiCorpus.cases.length],
        benign[i % benign.length],
        corpus.cases[i % corpus.cases.length],
      ];
      if (i % 4 === 3) next.push(attacks[(i * 7) % attacks.length]);
      for (const c of next) {
        if (!c) continue;
        parts.push(c.text);
        length += c.text.length + 2;
      }
    }
    const text = parts.join('\n\n').slice(0, 10 * 1024);
    expect(detectToxicity(text).matches.length).toBeGreaterThan(10);
    same(text);
    same(parts.join('\n\n'));
    same(parts.join(' '));
  });

  it('on edge cases: window edges, separators, leetspeak, look-alikes, surrogates', () => {
    const texts = [
      '',
      'f',
      'f\nck',
      'f.ck. f,ck! f\tck',
      'dumb\nass, dumb ass, dumb.ass',
      'fuck',
      '.fuck.',
      '\n\nfuck\n\n',
      'magna cum laude; cum\nlaude; cum  laude',
      'tit for tat.tit for tat\ntit',
      'sh!t $hit a$$ @ss 5hit',
      'ｆｕｃｋ 𝐟𝐮𝐜𝐤 Ⓕⓤⓒⓚ',
      '😀fuck😀 \ud83dfuck \ude00fuck',
      'fuuuuuuuuuuuuuck sssshit aaaasssss',
      'piss of. piss off! screw you. screw\nyou',
      '..........fuck..........',
      `${'ass '.repeat(500)}`,
      `${'a'.repeat(3000)} shit ${'.'.repeat(3000)}`,
    ];
    for (const text of texts) same(text);
  });

  it('on random mixes of listed words, separators and look-alikes', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const pieces = [
      ...'fuck shit ass bitch cum tit nigger dumb piss of off screw you laude blue'.split(' '),
      ...'magna for tat kung fu an al jordan alpha pen is s hit sh it chin k double'.split(' '),
      ...[' ', '  ', ' ', ' ', '\t', '\n', '.', ',', '!', '@', '$', '4', '1', '0', '|', '-', "'"],
      ...['_', '😀', '\u200b', '\u00a0', 'ｆ', 'Ⓢ', 'ß', 'É', 'Ɑ', '\ud83d', 'ss', 'bb', 'oo'],
      ...['cum laude', 'cum  laude', 'tit for tat', 'dumb  ass', 'piss  off', 'scunthorpe'],
    ];
    for (let t = 0; t < 1000; t += 1) {
      let text = '';
      const n = 1 + Math.floor(random() * 30);
      for (let i = 0; i < n; i += 1) text += pieces[Math.floor(random() * pieces.length)];
      same(random() < 0.3 ? text.toUpperCase() : text);
    }
  });
});
