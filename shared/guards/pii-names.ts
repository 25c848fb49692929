/**
 * Person names and street addresses: heuristics without a checksum, so below the confidence of the
 * checked types. Each pattern is a costly Unicode regular expression; it is tried only where a
 * cheap pre-filter says a match can start (a first name followed by a space, a street keyword),
 * which finds exactly the matches a scan of every position would.
 */
import { isLetterAt, matchAt, previousCodePoint, span, sticky, type Detector } from './pii-scan';
import type { PiiSpan } from './types';

// --- person names --------------------------------------------------------------------------

const NAME_WORD = "\\p{Lu}(?:['’]\\p{Lu})?\\p{Ll}+(?:\\p{Lu}\\p{Ll}+)?(?:-\\p{Lu}\\p{Ll}+)?";
const FULL_NAME = `${NAME_WORD}(?:[ \\t]+${NAME_WORD}){0,2}`;
const HONORIFIC = new RegExp(
  `(?<![\\p{L}])(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle)\\.?[ \\t]+(${FULL_NAME})`,
  'gu',
);
const INTRODUCED = new RegExp(
  `(?:[Mm]y name is|[Mm]y name's|[Nn]ame[ \\t]*:|[Cc]ustomer[ \\t]*:|[Cc]ontact[ \\t]*:|[Ss]igned[ \\t]*:|[Tt]his is|[Ii] am|[Ii]'m)[ \\t]+(${FULL_NAME})`,
  'gu',
);
const SIGN_OFF = new RegExp(
  `(?:^|\\n|[.!?][ \\t]+)[ \\t]*(?:(?:[Bb]est|[Kk]ind|[Ww]arm|[Mm]any)[ \\t]+)?(?:[Rr]egards|[Tt]hanks|[Tt]hank you|[Bb]est|[Cc]heers|[Ss]incerely|[Yy]ours truly|[Bb]est wishes|[Mm]it freundlichen Grüßen|[Cc]ordialement|[Ss]aludos)[ \\t]*[,!.]?(?:[ \\t]*\\r?\\n[ \\t]*|[ \\t]+)(${FULL_NAME})[ \\t]*(?=$|\\r?\\n|[,|]|[ \\t][-–—])`,
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
    'Good Great Yes No Not Also Just Sorry Happy Looking Glad Available Writing Calling'
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

export const detectNames: Detector = (text) => {
  const spans: Array<PiiSpan | undefined> = [];
  const patterns: Array<[RegExp, number]> = [
    [HONORIFIC, 0.7],
    [INTRODUCED, 0.65],
    [SIGN_OFF, 0.6],
  ];
  for (const [re, confidence] of patterns) {
    for (const m of text.matchAll(re)) {
      const name = m[1]!;
      const casual = /^(?:I am|I'm|[Tt]his is)/.test(m[0]);
      if (casual && !FIRST_NAMES.has(name.split(/[ \t]/)[0]!)) continue;
      spans.push(nameSpan(text, m.index + m[0].lastIndexOf(name), name, confidence));
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
  return spans.filter((s): s is PiiSpan => s !== undefined);
};

// --- street addresses ----------------------------------------------------------------------

const STREET_SUFFIX =
  '(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Close|Row|Plaza|Loop)';
const UNIT = '(?:,?[ \\t]*(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|#)\\.?[ \\t]*#?[A-Za-z0-9-]+)?';
const US_CITY_STATE_ZIP =
  '(?:,[ \\t]*\\p{Lu}\\p{L}+(?:[ \\t]\\p{Lu}\\p{L}+){0,2},?[ \\t]+(?:[A-Z]{1,2}\\d[A-Z\\d]?[ \\t]\\d[A-Z]{2}|[A-Z]{2}\\b(?:[ \\t]+\\d{5}(?:-\\d{4})?)?|\\d{5}))?';
const US_ADDRESS = new RegExp(
  `(?<![\\w.,/-])\\d{1,6}[A-Za-z]?(?:[ \\t]+(?:[NSEW]\\.?|North|South|East|West))?(?:[ \\t]+(?:\\p{Lu}[\\p{L}'-]*|\\d{1,3}(?:st|nd|rd|th))){1,3}[ \\t]+${STREET_SUFFIX}\\b\\.?(?:[ \\t]+(?:NW|NE|SW|SE|N|S|E|W)\\b)?${UNIT}${US_CITY_STATE_ZIP}`,
  'gu',
);
const EU_POSTCODE_CITY =
  '(?:,[ \\t]*(?:(?:[A-Z]-)?\\d{4,5}|\\d{2}-\\d{3})[ \\t]+\\p{Lu}\\p{L}+(?:[ \\t-]\\p{Lu}\\p{L}+)?)?';
/** "Hauptstraße 5", "Berliner Straße 5", "Via Roma 5": the street's word ends, follows, leads it. */
const EU_SUFFIXES =
  'straße|strasse|str\\.|weg|gasse|platz|allee|damm|ufer|gracht|straat|laan|vej|gade|gatan|vägen';
const EU_STREET_WORDS = 'Straße|Strasse|Weg|Platz|Allee|Gasse';
const EU_PREFIXES = 'Via|Viale|Piazza|Corso|Calle|Avenida|Rua|Plaza|Paseo|ul\\.|al\\.';
const EU_ADDRESS = new RegExp(
  `(?<![\\p{L}])(?:\\p{Lu}[\\p{L}-]*(?:${EU_SUFFIXES})|\\p{Lu}\\p{L}+[ \\t]+(?:${EU_STREET_WORDS})|(?:${EU_PREFIXES})[ \\t]*(?:(?:de|del|della|di|da|la|dos|das)[ \\t]+)*\\p{Lu}[\\p{L}'-]+(?:[ \\t]+\\p{Lu}[\\p{L}'-]+)?,?)[ \\t]+\\d{1,4}[a-z]?(?![\\w])${EU_POSTCODE_CITY}`,
  'gu',
);
const FR_STREET_TYPES = 'rue|avenue|boulevard|place|chemin|allée|impasse|quai';
const FR_ADDRESS = new RegExp(
  `(?<![\\w])\\d{1,4}(?:[ \\t]?(?:bis|ter))?,?[ \\t]+(?:${FR_STREET_TYPES})[ \\t]+(?:(?:de|du|des|la|le)[ \\t]+|[ld]['’])*\\p{Lu}[\\p{L}'-]+(?:[ \\t]+\\p{Lu}[\\p{L}'-]+)?${EU_POSTCODE_CITY}`,
  'gu',
);

const EU_ADDRESS_AT = sticky(EU_ADDRESS);
/** Every EU_ADDRESS match holds one of these: a street suffix, a street word or a street prefix. */
const EU_STREET_WORD = new RegExp(`${EU_SUFFIXES}|${EU_STREET_WORDS}|${EU_PREFIXES}`, 'g');

/**
 * Where EU_ADDRESS can start, from each street word found: a word start in the run of letters
 * and hyphens around it ("Haupt-Bahnhofstraße"), the word before the spaces before it
 * ("Berliner Straße"), and the word itself ("Via Roma"). A street word hidden inside another
 * ("Wegasse") shares the first one's run, so its starts are among these.
 */
function euAddressStarts(text: string): number[] {
  const starts: number[] = [];
  const letterOrHyphen = (i: number): boolean => text[i] === '-' || isLetterAt(text, i);
  for (const m of text.matchAll(EU_STREET_WORD)) {
    let i = m.index;
    while (i > 0) {
      const prev = previousCodePoint(text, i);
      if (!letterOrHyphen(prev)) break;
      i = prev;
    }
    for (; i <= m.index; i += 1) {
      if (i === 0 || !isLetterAt(text, previousCodePoint(text, i))) starts.push(i);
    }
    let j = m.index;
    while (j > 0 && (text[j - 1] === ' ' || text[j - 1] === '\t')) j -= 1;
    if (j < m.index) {
      while (j > 0 && isLetterAt(text, previousCodePoint(text, j))) j = previousCodePoint(text, j);
      starts.push(j);
    }
  }
  return [...new Set(starts)].sort((a, b) => a - b);
}

/** FR_ADDRESS names its street type in French: without one of these words there is none. */
const FR_STREET_TYPE = new RegExp(FR_STREET_TYPES);

export const detectAddresses: Detector = (text) => {
  const matches = [
    ...text.matchAll(US_ADDRESS),
    ...matchAt(EU_ADDRESS_AT, text, euAddressStarts(text)),
    ...(FR_STREET_TYPE.test(text) ? text.matchAll(FR_ADDRESS) : []),
  ];
  return matches.map((m) => {
    const value = m[0].replace(/[,.]$/, '');
    const confidence = /\d{4,5}(?:-\d{4})?$|, [A-Z]{2}$/.test(value) ? 0.7 : 0.65;
    return span('street-address', text, m.index, m.index + value.length, confidence);
  });
};
