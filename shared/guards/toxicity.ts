/**
 * Toxicity detection as a pure function of text: obscenity's English dictionary (with its
 * recommended transformers for leetspeak, confusables and stretched letters) plus a short list of
 * mild words and insults it lacks, weighed by severity. One slur or one strong profanity makes a
 * text toxic; mild words ("damn", "crap") and insults ("stupid") only in numbers or aimed at
 * "you". The matcher is built once, at module load, and reads only the windows of a text that
 * can hold a match (toxicity-windows.ts): same matches and offsets as on the whole text.
 */
import {
  DataSet,
  RegExpMatcher,
  englishDataset,
  englishRecommendedTransformers,
  pattern,
  type MatchPayload,
} from 'obscenity';
import type { ToxicityMatch, ToxicityScan } from './types';
import { createWindowedMatcher } from './toxicity-windows';

const SEVERITY = {
  /** Slurs against a group: toxic on their own. */
  slur: 0.9,
  /** Strong profanity and vulgar sexual terms: toxic on their own. */
  profane: 0.6,
  /** Insults; 0.6 when aimed at the reader ("you idiot"). */
  insult: 0.4,
  /** Mild swearing: toxic only with company ("this is damn stupid crap"). */
  mild: 0.35,
  /** Anatomy, sex and crime in plain words: common in medical, legal and news text (3 to flag). */
  clinical: 0.25,
} as const;
type Severity = keyof typeof SEVERITY;

/** Dictionary words by severity; anything not listed is `profane`. */
const TIERS: Record<string, Severity> = {
  ...tier('slur', 'abeed abo africoon arabush boonga chingchong chink dyke fag kike negro nigger'),
  ...tier('slur', 'retard spastic tranny'),
  ...tier('insult', 'stupid idiot moron imbecile dumbass jackass'),
  ...tier('mild', 'damn crap arse piss turd boob tit hooker wtf'),
  ...tier('clinical', 'anal anus bestiality ejaculate fellatio hentai incest masturbate orgasm'),
  ...tier('clinical', 'orgy penis porn rape scat semen sex vagina'),
};

function tier(severity: Severity, words: string): Record<string, Severity> {
  return Object.fromEntries(words.split(' ').map((w) => [w, severity]));
}

/**
 * Words obscenity's English dataset (0.4.6) does not list. `|` is a word boundary: "crap" must not
 * match "scrap", "moron" not "oxymoron". Patterns are written as the matcher sees text after its
 * transformers: repeated letters collapse to one ("off" → "of"), except b, e, o, l, s and g.
 */
const EXTRA_TERMS: [string, ReturnType<typeof pattern>[]][] = [
  ['damn', [pattern`damn`]],
  ['crap', [pattern`|crap`]],
  ['stupid', [pattern`stupid`]],
  ['idiot', [pattern`idiot`]],
  ['moron', [pattern`|moron`]],
  ['imbecile', [pattern`imbecil`]],
  ['dumbass', [pattern`dumb[ ]ass`]],
  ['jackass', [pattern`jackass`]],
  ['fuck', [pattern`|phuck`]],
  ['bitch', [pattern`biatch`]],
  ['skank', [pattern`skank`]],
  ['wtf', [pattern`|wtf|`]],
  ['stfu', [pattern`|stfu|`]],
  ['piss off', [pattern`|piss of|`]],
  ['screw you', [pattern`|screw you|`]],
];

/** Innocent words that contain a listed one (the Scunthorpe problem), beyond obscenity's own. */
const EXTRA_WHITELIST = [
  'cockpit',
  'cumin',
  'cummings',
  'cum laude',
  'tit for tat',
  'blue tit',
  'great tit',
  'wankel',
  'moby dick',
  'dickinson',
  'pussy willow',
  'pussycat',
  'penistone',
  'rapeseed',
  'shiitake',
  'scat singing',
  'crape',
];

const dataset = new DataSet<{ originalWord: string }>().addAll(englishDataset);
for (const [word, patterns] of EXTRA_TERMS) {
  dataset.addPhrase((phrase) =>
    patterns.reduce((p, pat) => p.addPattern(pat), phrase.setMetadata({ originalWord: word })),
  );
}
const built = dataset.build();
const whitelistedTerms = [...(built.whitelistedTerms ?? []), ...EXTRA_WHITELIST];
const matcher = new RegExpMatcher({
  ...built,
  whitelistedTerms,
  ...englishRecommendedTransformers,
});
/** The same matches, with the matcher reading only the windows of text that can hold one. */
const windowedMatches = createWindowedMatcher({
  matcher,
  blacklistedTerms: built.blacklistedTerms,
  whitelistedTerms,
  ...englishRecommendedTransformers,
});

/** "you idiot", "you're so stupid", "you absolute moron": an insult aimed at the reader. */
const AIMED =
  /\b(?:you(?:\s+are|['’]re)?|ur|u\s+r)\s+(?:(?:such|so|a|an|the|total|complete|absolute|utter|fucking|bloody|damn|little|big)\s+){0,3}$/i;

export function detectToxicity(text: string): ToxicityScan {
  return score(text, windowedMatches(text));
}

/**
 * `detectToxicity` with the matcher reading the whole text: the reference the windowed scan is
 * tested against. Same result, several times slower.
 */
export function detectToxicityUnwindowed(text: string): ToxicityScan {
  return score(text, matcher.getAllMatches(text, true));
}

function score(text: string, payloads: readonly MatchPayload[]): ToxicityScan {
  const seen = new Set<string>();
  const found: { match: ToxicityMatch; weight: number }[] = [];
  for (const payload of payloads) {
    const term = dataset.getPayloadWithPhraseMetadata(payload).phraseMetadata?.originalWord;
    const start = payload.startIndex;
    const end = payload.endIndex + 1; // obscenity's end index is inclusive
    const key = `${start}:${end}:${term}`;
    if (term === undefined || seen.has(key)) continue;
    seen.add(key);
    const severity = TIERS[term] ?? 'profane';
    const aimed = severity === 'insult' && AIMED.test(text.slice(Math.max(0, start - 40), start));
    found.push({
      match: { start, end, term },
      weight: aimed ? SEVERITY.profane : SEVERITY[severity],
    });
  }
  // Overlapping matches ("dumb ass" is both "dumbass" and "ass") are one word: count the heaviest.
  let clean = 1;
  let cluster = { end: -1, weight: 0 };
  for (const f of found) {
    if (f.match.start < cluster.end) {
      cluster = {
        end: Math.max(cluster.end, f.match.end),
        weight: Math.max(cluster.weight, f.weight),
      };
      continue;
    }
    clean *= 1 - cluster.weight;
    cluster = { end: f.match.end, weight: f.weight };
  }
  clean *= 1 - cluster.weight;
  return {
    score: Math.min(1, Math.round((1 - clean) * 1000) / 1000),
    matches: found.map((f) => f.match),
  };
}

/** The text with every matched term's letters replaced by asterisks (spaces kept). */
export function censorToxicity(text: string, scan: ToxicityScan): string {
  const masked = [...text];
  // Spread splits by code point: map UTF-16 offsets to code point indexes.
  const index: number[] = [];
  masked.forEach((ch, i) => {
    for (let k = 0; k < ch.length; k += 1) index.push(i);
  });
  for (const m of scan.matches) {
    for (let u = m.start; u < m.end && u < text.length; u += 1) {
      const i = index[u];
      if (i !== undefined && !/\s/.test(masked[i] ?? '')) masked[i] = '*';
    }
  }
  return masked.join('');
}
