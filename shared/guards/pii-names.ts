/**
 * Person names: heuristics without a checksum, so below the confidence of the checked types.
 * Context finds them: titles and salutations (the name is redacted, not the title), introductions
 * ("my name is", "je m'appelle", "billing name to", "ask for"), sign-offs, in six languages, and a
 * listed first name before a capitalised word. Names in lower case or that are ordinary words
 * count after an introduction when compromise's lexicon (shipped in the package, offline) knows
 * the first word as a first name; its lexicon also says whether the word after a first name can be
 * a surname ("Brooke Callahan" yes, "Grace Period" no), wherever the pair stands. Brands and
 * products that contain names ("Dr. Martens", "Jack Daniel's", "a Tommy Hilfiger jacket") do not.
 */
import nlp from 'compromise';
import {
  isLetterAt,
  matchAt,
  previousCodePoint,
  span,
  sticky,
  wordStarts,
  type Detector,
} from './pii-scan';
import { isBrand } from './pii-name-brands';
import { cuedNames, MORE_FIRST_NAMES, WORD_FIRST_NAMES, type NameLexicon } from './pii-name-cues';
import type { PiiSpan } from './types';

// --- person names --------------------------------------------------------------------------

const NAME_WORD = "\\p{Lu}(?:['’]\\p{Lu})?\\p{Ll}+(?:\\p{Lu}\\p{Ll}+)?(?:-\\p{Lu}\\p{Ll}+)?";
/** "de Vries", "van den Berg", "del Monte": particles between the parts of a name. */
const PARTICLE = '(?:van|von|de|der|den|del|della|di|da|du|dos|das|le|la|ter|ten|zu|y)';
const FULL_NAME = `${NAME_WORD}(?:(?:[ \\t]+${PARTICLE}){0,2}[ \\t]+${NAME_WORD}){0,2}`;
/** Titles in the six languages, chained ("Frau Prof. Dr."); only what follows is the name. */
const TITLE =
  '(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Herr|Frau|Hr|Fr|Mme|Mlle|Monsieur|Madame|Mademoiselle|M|Sr|Sra|Srta|Señor|Señora|Don|Doña|Dhr|Mevr|Mevrouw|Meneer|Sig|Sig\\.ra|Signor|Signora|Dott|Dott\\.ssa|Ing|Avv|mevrouw|meneer|signora|signor|señora|señor|madame|monsieur)';
/** A title alone: after "spoke with" it starts a name, it is not one. */
const TITLE_WORD = new RegExp(`^${TITLE}$`, 'u');
const HONORIFIC = new RegExp(`(?<![\\p{L}])(?:${TITLE}\\.?[ \\t]+)+(${FULL_NAME})`, 'gu');
const INTRODUCED = new RegExp(
  `(?:[Mm]y name is|[Mm]y name's|[Nn]ame[ \\t]*:|[Cc]ustomer[ \\t]*:|[Cc]ontact[ \\t]*:|[Ss]igned[ \\t]*:|[Tt]his is|[Ii] am|[Ii]'m|[Mm]ein [Nn]ame ist|[Ii]ch heiße|[Hh]ier ist|[Aa]nsprechpartner(?:in)? ist|[Jj]e m'appelle|[Jj]e m’appelle|[Mm]on nom est|[Ii]ci|[Mm]e llamo|[Mm]i nombre es|[Ss]oy|[Mm]ijn naam is|[Ii]k heet|[Ii]k ben|[Hh]oi, met|[Mm]et|[Mm]i chiamo|[Ii]l mio nome è|[Ss]ono)[ \\t]+(${FULL_NAME})`,
  'gu',
);
/**
 * Cues after which a name may be written in lower case or be an ordinary word: "my name is
 * sarah connor", "ask for grace", "billing name to Bill Baker". The first word must be a first
 * name in compromise's lexicon (or capitalised after a strong cue).
 */
const CUE = new RegExp(
  `(?<![\\p{L}])(my name is|my name's|i am|i'm|this is|billing name (?:to|is|as|:)|name on the (?:card|account) (?:is|:)|card ?holder(?: name)?(?: is|:)|ask for|asking for|speak (?:to|with)|spoke (?:to|with)|talk to|fragen sie nach|verlangen sie|demandez|demander|pregunten por|pregunte por|preguntar por|vraag naar|chiedete di|chiedere di|chiedete della|chiedete del)[ \\t]+((?:[\\p{L}'’-]+)(?:[ \\t]+[\\p{L}'’-]+){0,2})`,
  'giu',
);
const STRONG_CUE = /^(?:my name|billing|name on|card ?holder)/i;
const SIGN_OFF = new RegExp(
  `(?:^|\\n|[.!?][ \\t]+)[ \\t]*(?:(?:[Bb]est|[Kk]ind|[Ww]arm|[Mm]any)[ \\t]+)?(?:[Rr]egards|[Tt]hanks(?: again)?|[Tt]hank you|[Bb]est|[Cc]heers|[Ss]incerely|[Yy]ours truly|[Bb]est wishes|[Mm]it freundlichen Grüßen|(?:[Vv]iele|[Bb]este|[Ll]iebe|[Ff]reundliche) Grüße|[Gg]ruß|[Cc]ordialement|[Bb]ien à vous|[Bb]ien cordialement|[Ss]alutations|[Ss]aludos|[Uu]n saludo|[Aa]tentamente|[Ss]aludos cordiales|[Mm]et vriendelijke groet(?:en)?|[Vv]riendelijke groet(?:en)?|[Gg]roet(?:en|jes)|[Cc]ordiali saluti|[Dd]istinti saluti|[Ss]aluti|[Uu]n saluto)[ \\t]*[,!.]?(?:[ \\t]*\\r?\\n[ \\t]*|[ \\t]+)(?:${TITLE}\\.?[ \\t]+)*(${FULL_NAME}|[\\p{Ll}'’-]+[ \\t]+[\\p{Ll}'’-]+)[ \\t]*(?=$|\\r?\\n|[,|]|[ \\t][-–—])`,
  'gu',
);
const FIRST_LAST = new RegExp(`(?<![\\p{L}])(${NAME_WORD})([ \\t]+)(?=(${NAME_WORD}))`, 'gu');
const FIRST_NAMES = new Set(
  (
    'James John Robert Michael David William Richard Joseph Thomas Charles Daniel Matthew Anthony ' +
    'Mark Paul Steven Andrew Kevin Brian George Edward Ronald Timothy Jason Jeffrey Ryan Jacob ' +
    'Gary Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander ' +
    'Patrick Jack Dennis Tyler Aaron Jose Adam Nathan Henry Peter Zachary Kyle Noah Ethan Liam ' +
    'Lucas Oliver Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa ' +
    'Nancy Betty Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa ' +
    'Deborah Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Anna Brenda Emma Olivia ' +
    'Sophia Isabella Mia Charlotte Amelia Harper Evelyn Abigail Jane Julia Maria Sofia Priya ' +
    'Raj Wei Mei Hiroshi Yuki Ahmed Fatima Mohammed Omar Aisha Carlos Juan Luis Ana Lucía Pierre ' +
    'Marie José Hans Klaus Anja Jürgen Søren Björn Zoë Chloé François Giulia Marco Ivan Olga Dmitri'
  ).split(' '),
);
/** Capitalised words that start sentences, sign-offs or team names rather than names. */
const NOT_NAMES = new Set(
  (
    'The This That These Those Thanks Thank Regards Best Team Support Customer Service Sales ' +
    'Hello Hi Dear Please Note From To Subject Sent Date Order Invoice Account Ticket Inc Ltd ' +
    'LLC Corp Company Group Department Office Manager Admin Staff Billing Help Desk Everyone All ' +
    'Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May ' +
    'June July August September October November December Street Avenue Road Here There Sure ' +
    'Good Great Yes No Not Also Just Sorry Happy Looking Glad Available Writing Calling ' +
    'Accounts Accounting Reception Security Finance Legal Someone Anyone Nobody Management'
  ).split(' '),
);

/** Drops sign-off and sentence words from either end; undefined when nothing name-like is left. */
function nameSpan(
  text: string,
  start: number,
  raw: string,
  confidence: number,
): PiiSpan | undefined {
  const words = [...raw.matchAll(/\S+/g)];
  let last = words.length - 1;
  while (last >= 0 && NOT_NAMES.has(words[last]![0])) last -= 1;
  if (last < 0 || NOT_NAMES.has(words[0]![0])) return undefined;
  const end = start + words[last]!.index + words[last]![0].length;
  return span('person-name', text, start, end, confidence);
}

const FIRST_LAST_AT = sticky(FIRST_LAST);
/**
 * A capitalised word up to a space or tab: every first name of the list is one (an ASCII capital,
 * then lower-case or non-ASCII letters), and none of these runs can start inside another.
 */
const CAPITALISED = /[A-Z][a-z\u00c0-\uffff]*(?=[ \t])/g;
const APOSTROPHE_OR_HYPHEN = new Set(["'", '’', '-']);
/** A first name CAPITALISED would not find (say "Mary-Kate") turns the pre-filter off. */
const FIRST_NAMES_CAPITALISED = [...FIRST_NAMES].every((n) => /^[A-Z][a-z\u00c0-\uffff]*$/.test(n));

/**
 * True when a global scan of FIRST_LAST, fresh at the start of the word around `at` (letters,
 * apostrophes, hyphens: all a NAME_WORD holds), takes `at` inside a match that starts before it:
 * "O'Mark", "Smith-John" are one name word, not a name after a letter.
 */
function insideEarlierNameWord(text: string, at: number): boolean {
  let start = at;
  while (start > 0) {
    const prev = previousCodePoint(text, start);
    if (!isLetterAt(text, prev) && !APOSTROPHE_OR_HYPHEN.has(text[prev]!)) break;
    start = prev;
  }
  for (let i = start; i < at;) {
    if (i === start || !isLetterAt(text, previousCodePoint(text, i))) {
      FIRST_LAST_AT.lastIndex = i;
      const m = FIRST_LAST_AT.exec(text);
      if (m) {
        if (i + m[0].length > at) return true;
        i += m[0].length;
        continue;
      }
    }
    i += 1;
  }
  return false;
}

/** Where FIRST_LAST can match with a listed first name: the name, then a space or tab. */
function firstNameStarts(text: string): number[] {
  const starts: number[] = [];
  for (const m of text.matchAll(CAPITALISED)) {
    if (!FIRST_NAMES.has(m[0])) continue;
    if (m.index > 0 && APOSTROPHE_OR_HYPHEN.has(text[m.index - 1]!)) {
      if (insideEarlierNameWord(text, m.index)) continue;
    }
    starts.push(m.index);
  }
  return starts;
}

/** First and last names of compromise's lexicon, lower-cased, with common continental ones. */
const LEXICON: Readonly<Record<string, string | string[]>> = (
  nlp as unknown as { model(): { one: { lexicon: Record<string, string | string[]> } } }
).model().one.lexicon;
const tagged = (tag: RegExp): Set<string> =>
  new Set(
    Object.entries(LEXICON)
      .filter(([, t]) => tag.test(String(t)))
      .map(([w]) => w),
  );
const LEXICON_FIRST = tagged(/FirstName|MaleName|FemaleName/);
for (const n of [...MORE_FIRST_NAMES, ...WORD_FIRST_NAMES]) LEXICON_FIRST.add(n);
const isFirstName = (w: string): boolean => LEXICON_FIRST.has(w.toLowerCase());
const ONLY_NAME_TAG = /^(?:FirstName|MaleName|FemaleName)$/;
/** Words that end a name read after a cue: function words, verbs, punctuation-bound words. */
const STOP_AFTER_CUE = new Set(
  (
    'and or at in on from with for to the a an is was will who please but because since as ' +
    'und oder bei in aus von der die das ist et ou à de du des est y o en del es e o di da il la ' +
    'en of bij van het is'
  ).split(' '),
);

/** Cues that ask for a person: a capitalised word after them is a name ("ask for Hope"). */
const ASKING_CUE =
  /^(?:ask(?:ing)? for|speak|spoke|talk|fragen sie nach|verlangen sie|demande[zr]|pregunt|vraag naar|chiede)/i;
/** compromise's lexicon reads the word as a place, an organisation or a time. */
const placeOrThing = (word: string): boolean =>
  /City|Country|Region|Place|Organization|SportsTeam|Month|WeekDay|Date|Currency|Unit/.test(
    String(LEXICON[word.toLowerCase()] ?? ''),
  );

/**
 * The name read after a cue: its words up to a function word, the first a known first name (or,
 * after a cue that asks for a person, any capitalised word that is not a place or a team).
 */
function cueName(text: string, m: RegExpMatchArray): PiiSpan | undefined {
  const raw = m[2]!;
  const strong = STRONG_CUE.test(m[1]!);
  const words = [...raw.matchAll(/[\p{L}'’-]+/gu)];
  let n = 0;
  while (n < words.length && !STOP_AFTER_CUE.has(words[n]![0].toLowerCase())) n += 1;
  if (n === 0) return undefined;
  const first = words[0]![0];
  const capital = /^\p{Lu}/u.test(first);
  const asked =
    capital &&
    ASKING_CUE.test(m[1]!) &&
    !NOT_NAMES.has(first) &&
    !TITLE_WORD.test(first) &&
    !placeOrThing(first);
  if (!isFirstName(first) && !(strong && capital) && !asked) return undefined;
  if (NOT_NAMES.has(first) || (!capital && !strong && !/^(?:ask|asking)/i.test(m[1]!))) {
    if (!isFirstName(first)) return undefined;
  }
  // Further words must look like a surname: capitalised, or (in a lower-case name) a lexicon word.
  let last = 0;
  for (let i = 1; i < n; i += 1) {
    const w = words[i]![0];
    if (/^\p{Lu}/u.test(w) || (!capital && /^\p{Ll}/u.test(w) && !LEXICON[w])) last = i;
    else if (!capital && String(LEXICON[w] ?? '').includes('Name')) last = i;
    else break;
  }
  const start = m.index! + m[0].length - raw.length;
  const end = start + words[last]!.index + words[last]![0].length;
  return span('person-name', text, start, end, capital ? 0.7 : 0.65);
}

/** Tags of compromise's lexicon that make a word a surname whatever else it is ("Smith"). */
const SURNAME_TAG = /LastName|FirstName|MaleName|FemaleName|Person/;
/**
 * Tags that make a capitalised word after a first name a place, a time, an organisation, a verb
 * or a function word rather than a surname ("Florence Italy", "June Monday", "Mark Said").
 * Nouns and adjectives stay possible surnames: "Baker", "Rose", "Black".
 */
const NOT_SURNAME_TAG =
  /Verb|Tense|Gerund|Infinitive|Participle|Modal|Copula|Preposition|Conjunction|Determiner|Pronoun|Adverb|QuestionWord|Possessive|Reflexive|Expression|Negative|Condition|City|Country|Region|Place|Organization|SportsTeam|Month|WeekDay|Date|Currency|Unit|Demonym|Timezone|Duration|Value|Cardinal|Ordinal|Fraction|Multiple|Emoticon|Acronym|Abbreviation|Plural/;
/** Capitalised words after a first name that are a place or a thing: "Grace Period". */
const NOT_SURNAMES = new Set(
  (
    'street road lane avenue station square park hall house centre center bridge airport hotel ' +
    'hospital university college school church beach river lake valley hill hills island tower ' +
    'mall market sale period card plan edition day night time'
  ).split(' '),
);

/**
 * Can the capitalised word after a first name be a surname? Read from compromise's lexicon
 * alone: yes when it tags the word as a name, when it does not know it (most surnames:
 * "Callahan", "Reinhardt") or knows it as a noun or adjective ("Baker"); no for a listed place or
 * thing and for the tags above. A map lookup, so a pair counts wherever it stands in the text;
 * compromise's tagger, which read the pair's sentence before, cost 1 to 6 ms a sentence.
 */
function surname(last: string): boolean {
  const word = last.toLowerCase();
  if (NOT_SURNAMES.has(word)) return false;
  const tag = LEXICON[word];
  if (tag === undefined) return true;
  const tags = String(tag);
  return SURNAME_TAG.test(tags) || !NOT_SURNAME_TAG.test(tags);
}

/** A name alone on the line after a blank line: a signature ("Will Rose\nOperations Lead"). */
const SIGNATURE = new RegExp(
  `(?:^|\\n[ \\t]*\\r?\\n)[ \\t]*(${FULL_NAME})[ \\t]*(?=\\r?\\n|$)`,
  'gu',
);

/** A word of a sign-off: "Viele Grüße" alone on its line is not a signature. */
const SIGN_OFF_WORD =
  /^(?:Grüße|Grüsse|Gruß|Gruss|Regards|Thanks|Cheers|Wishes|Saludos|Saluti|Groet|Groeten|Groetjes|Cordialement|Salutations|Sincerely|Danke|Merci|Gracias|Grazie|Bedankt)$/i;

const LEXICON_PAIR = /(?<![\p{L}])(\p{Lu}\p{Ll}+)[ \t]+(\p{Lu}\p{Ll}+)(?![\p{L}])/gu;

/*
 * HONORIFIC, CUE and LEXICON_PAIR start at a letter no letter precedes: their sticky twins are
 * tried only at such word starts whose first two characters can begin a match (matchAt), which
 * finds exactly what the global scans find at a fraction of their time (bench:guards).
 */
const HONORIFIC_AT = sticky(HONORIFIC);
const CUE_AT = sticky(CUE);
const LEXICON_PAIR_AT = sticky(LEXICON_PAIR);
/** Two UTF-16 code units as one number, for pair lookups without slicing the text. */
const pair = (a: number, b: number): number => a * 0x10000 + b;
const pairOf = (s: string): number => pair(s.charCodeAt(0), s.charCodeAt(1));
/** ASCII `A`–`Z` to lower case; anything else as it is. */
const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
/** The first two characters of every title (case as written; `M` alone before `.` or a space). */
const TITLE_HEADS = new Set(
  TITLE.slice(3, -1)
    .split('|')
    .flatMap((t) => (t.length > 1 ? [t] : [`${t}.`, `${t} `, `${t}\t`]))
    .map(pairOf),
);
/** The first two characters of every cue, lower case ("i am", "i'm": `i `, `i'`). */
const CUE_HEADS = new Set("my|i |i'|th|bi|na|ca|as|sp|ta|fr|ve|de|pr|vr|ch".split('|').map(pairOf));
const UPPER = /\p{Lu}/u;

/** HONORIFIC can start at `i`: a title's first two characters. */
const titleHead = (text: string, i: number): boolean =>
  TITLE_HEADS.has(pair(text.charCodeAt(i), text.charCodeAt(i + 1)));
/**
 * CUE can start at `i`: under its `i` flag a non-ASCII character may fold to an ASCII one
 * (`ſ` to `s`), so any pair holding one is tried.
 */
const cueHead = (text: string, i: number): boolean => {
  const a = text.charCodeAt(i);
  const b = text.charCodeAt(i + 1);
  return a >= 0x80 || b >= 0x80 || CUE_HEADS.has(pair(lower(a), lower(b)));
};
/** LEXICON_PAIR can start at `i`: an upper-case letter. */
const upperAt = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  if (c < 0x80) return c >= 0x41 && c <= 0x5a;
  return UPPER.test(String.fromCodePoint(text.codePointAt(i) ?? c));
};

const NAME_LEXICON: NameLexicon = {
  isFirstName,
  isOnlyFirstName: (w) => {
    const tag = LEXICON[w.toLowerCase()];
    return isFirstName(w) && (tag === undefined || ONLY_NAME_TAG.test(String(tag)));
  },
  notName: (w) => NOT_NAMES.has(w) || TITLE_WORD.test(w),
  placeOrThing,
  surname: (w) => surname(w),
};

const WEAK_CUE =
  /^(?:I am|I'm|[Tt]his is|[Hh]ier ist|[Ii]ci|[Ss]oy|[Ii]k ben|[Hh]oi, met|[Mm]et|[Ss]ono)/;

export const detectNames: Detector = (text) => {
  const spans: Array<PiiSpan | undefined> = [];
  const starts = wordStarts(text);
  const patterns: Array<[RegExp, Iterable<RegExpMatchArray>, number]> = [
    [
      HONORIFIC,
      matchAt(
        HONORIFIC_AT,
        text,
        starts.filter((i) => titleHead(text, i)),
      ),
      0.7,
    ],
    [INTRODUCED, text.matchAll(INTRODUCED), 0.65],
    [SIGN_OFF, text.matchAll(SIGN_OFF), 0.6],
  ];
  for (const [re, matches, confidence] of patterns) {
    for (const m of matches) {
      const name = m[1]!;
      const words = name.split(/[ \t]+/);
      const casual = WEAK_CUE.test(m[0]);
      if (casual && !isFirstName(words[0]!) && words.length < 2) continue;
      if (casual && !isFirstName(words[0]!) && !FIRST_NAMES.has(words[0]!)) continue;
      if (re === SIGN_OFF && /^\p{Ll}/u.test(name) && !isFirstName(words[0]!)) continue;
      spans.push(nameSpan(text, m.index! + m[0].lastIndexOf(name), name, confidence));
    }
  }
  for (const m of matchAt(
    CUE_AT,
    text,
    starts.filter((i) => cueHead(text, i)),
  )) {
    spans.push(cueName(text, m));
  }
  for (const m of text.matchAll(SIGNATURE)) {
    const words = m[1]!.split(/[ \t]+/);
    const tail = text.slice(m.index + m[0].length).split('\n').length <= 3;
    if (words.some((w) => SIGN_OFF_WORD.test(w))) continue;
    if (isFirstName(words[0]!) || (words.length >= 2 && tail)) {
      spans.push(nameSpan(text, m.index + m[0].indexOf(m[1]!), m[1]!, 0.6));
    }
  }
  const pairs = FIRST_NAMES_CAPITALISED
    ? matchAt(FIRST_LAST_AT, text, firstNameStarts(text))
    : text.matchAll(FIRST_LAST);
  for (const m of pairs) {
    if (FIRST_NAMES.has(m[1]!) && !NOT_NAMES.has(m[3]!)) {
      spans.push(nameSpan(text, m.index, m[1]! + m[2]! + m[3]!, 0.6));
    }
  }
  // A first name of the larger lexicon before a capitalised word that can be a surname
  // ("Brooke Callahan" yes, "Grace Period" no), wherever the pair stands in the text.
  for (const m of matchAt(
    LEXICON_PAIR_AT,
    text,
    starts.filter((i) => upperAt(text, i)),
  )) {
    if (FIRST_NAMES.has(m[1]!) || NOT_NAMES.has(m[1]!) || NOT_NAMES.has(m[2]!)) continue;
    if (!LEXICON_FIRST.has(m[1]!.toLowerCase())) continue;
    const s = nameSpan(text, m.index, m[0], 0.6);
    if (s && surname(m[2]!)) spans.push(s);
  }
  spans.push(...cuedNames(text, NAME_LEXICON));
  return spans.filter((s): s is PiiSpan => s !== undefined && !isBrand(text, s));
};
