/**
 * Street addresses: the street line's patterns (US, UK, continental) and, where a postcode is
 * written, the postcode with its town as an anchor from which the address is read backwards, one
 * comma-separated part at a time, as long as each part is made of address words: "Flat 12,
 * Kestrel House, Brandon Estate, London SE17 3EF", "Calle de Alcalá 145, 3º B, 28009 Madrid",
 * "P.O. Box 4471, Tucson, AZ 85717", "Postfach 10 02 34, 50442 Köln".
 */
import { matchAt, previousCodePoint, isLetterAt, span, sticky, type Detector } from './pii-scan';
import type { PiiSpan } from './types';

// --- a street line, with or without its town ----------------------------------------------

const STREET_SUFFIX =
  '(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Close|Row|Plaza|Loop)';
const UNIT = '(?:,?[ \\t]*(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|#)\\.?[ \\t]*#?[A-Za-z0-9-]+)?';
const US_CITY_STATE_ZIP =
  '(?:,[ \\t]*\\p{Lu}\\p{L}+(?:[ \\t]\\p{Lu}\\p{L}+){0,2},?[ \\t]+(?:[A-Z]{1,2}\\d[A-Z\\d]?[ \\t]\\d[A-Z]{2}|[A-Z]{2}\\b(?:[ \\t]+\\d{5}(?:-\\d{4})?)?|\\d{5}))?';
const US_ADDRESS = new RegExp(
  `(?<![\\w.,/-])\\d{1,6}(?:-\\d{1,6})?[A-Za-z]?(?:[ \\t]+(?:[NSEW]\\.?|North|South|East|West))?(?:[ \\t]+(?:\\p{Lu}[\\p{L}'-]*|\\d{1,3}(?:st|nd|rd|th))){1,3}[ \\t]+${STREET_SUFFIX}\\b\\.?(?:[ \\t]+(?:NW|NE|SW|SE|N|S|E|W)\\b)?${UNIT}${US_CITY_STATE_ZIP}`,
  'gu',
);
const EU_POSTCODE_CITY =
  '(?:,[ \\t]*(?:(?:[A-Z]-)?\\d{4,5}|\\d{2}-\\d{3})[ \\t]+\\p{Lu}\\p{L}+(?:[ \\t-]\\p{Lu}\\p{L}+)?)?';
/** "Hauptstraße 5", "Berliner Straße 5", "Via Roma 5": the street's word ends, follows, leads it. */
const EU_SUFFIXES =
  'straße|strasse|str\\.|weg|gasse|platz|allee|damm|ufer|gracht|straat|laan|vej|gade|gatan|vägen';
const EU_STREET_WORDS = 'Straße|Strasse|Weg|Platz|Allee|Gasse';
const EU_PREFIXES =
  'Via|Viale|Piazza|Corso|Calle|C/|Avenida|Rua|Plaza|Paseo|Am|An der|Im|Auf dem|Zum|Zur|ul\\.|al\\.';
const EU_ADDRESS = new RegExp(
  `(?<![\\p{L}])(?:\\p{Lu}[\\p{L}-]*(?:${EU_SUFFIXES})|\\p{Lu}\\p{L}+[ \\t]+(?:${EU_STREET_WORDS})|(?:${EU_PREFIXES})[ \\t]*(?:(?:de|del|della|di|da|la|dos|das)[ \\t]+)*\\p{Lu}[\\p{L}'-]+(?:[ \\t]+\\p{Lu}[\\p{L}'-]+)?,?)[ \\t]+\\d{1,4}[a-z]?(?:-\\d{1,4}[a-z]?)?(?![\\w])${EU_POSTCODE_CITY}`,
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

function streetLines(text: string): PiiSpan[] {
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
}

// --- postcode-anchored addresses -----------------------------------------------------------

const CITY =
  "\\p{Lu}[\\p{L}'’-]+(?:[ \\t]+(?:(?:am|an|im|der|den|aan|upon|on|sur|en|de|la|le|del|sul)[ \\t]+){0,2}\\p{Lu}[\\p{L}'’-]+)?";
/** The town and postcode that end an address; reading backwards starts where they start. */
const ANCHORS: RegExp[] = [
  // UK: "London SE17 3EF" (the town is read backwards with the street).
  /(?<![A-Za-z0-9])(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)[ \t]?\d[A-Z]{2}(?![A-Za-z0-9])/g,
  // US: "Springfield, IL 62704".
  /(?<![A-Za-z0-9])[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?(?![\w-])/g,
  // DE, FR, ES, IT: "04109 Leipzig"; NL: "1016 GV Amsterdam"; BE, AT, CH, DK: "1000 Bruxelles".
  new RegExp(
    `(?<![\\w.,/-])(?:[A-Z]{1,2}-)?(?:\\d{5}|\\d{4}[ \\t]?[A-Z]{2}|\\d{4})[ \\t]+${CITY}`,
    'gu',
  ),
];

const LOWER_ADDRESS_WORDS = new Set(
  (
    'de del della delle dei degli dello di da la le les des du dos das van den der von am an im ' +
    'auf aan upon on sur sous en bis ter hs izda dcha izq izquierda derecha rue avenue allée ' +
    'boulevard chemin impasse quai place via viale piazza corso calle avenida paseo straat laan ' +
    'weg gracht plein box flat apt unit suite floor étage escalier esc appt bât porte piso planta ' +
    'bajo principal puerta ático nave interno int scala civico verdieping hoog huis whg og eg y e & -'
  ).split(' '),
);
const ABBREVIATIONS = /^(?:St|Rd|Ave|Bât|Str|Nr|No|Apt|Dr|Blvd|Av|Bd|Pl|Sq|Ct|Ln|Hwy|Pkwy)\.$/;
/** A house number or range ("12-14", "3a", "3º"), a capitalised word, an initialism, "C/". */
const ADDRESS_TOKEN =
  /^(?:\d+[A-Za-z]?(?:[-–/][A-Za-z0-9]+)?[º°ª]?|\d{1,2}(?:e|er|ème|\.)|\p{Lu}[\p{L}-]*str\.|\p{Lu}\p{Ll}{0,4}\.|\p{Lu}[\p{L}'’-]*|(?:\p{Lu}\.){1,3}|\p{Lu}\/|[ldLD]['’]\p{Lu}[\p{L}'’-]*|[nN][º°o]\.?)$/u;
/** Words that make a part without a number part of an address. */
const PLACE_WORD =
  /\b(?:Flat|Apartment|Apt|Unit|Suite|House|Court|Estate|Mansions|Lodge|Building|Tower|Block|Residence|Résidence|Bât|Bâtiment|Hof|Haus|Box|Postfach|Postbus|Apartado|Casella|BP|\p{L}*[Pp]ark|\p{L}*haus|OG|EG|Etage|Whg|Wohnung|Escalier|étage|Appt|Polígono|Poligono|piso|planta|bajo|principal|puerta|nave|scala|interno|civico|verdieping)\b/u;
/** A part that names a street ("Mill Lane", "Hansastraße"): part of the address without a number. */
const STREET_PART = new RegExp(
  `\\b${STREET_SUFFIX}$|(?:${EU_SUFFIXES})$|^(?:${EU_PREFIXES}|${FR_STREET_TYPES})\\b`,
  'iu',
);
const BOX = /\b(?:P\.?\s?O\.?\s?Box|Postfach|Postbus|Apartado|Casella postale|BP)\b/iu;

/** A token as the address word tests see it: without brackets ("(3e", "verdieping)"). */
const bare = (t: string): string => t.replace(/^[(]+|[)]+$/g, '');
/** Lower-case words that join address words but do not start a part: "de", "van", "upon". */
const CONNECTORS = new Set(
  'de del della delle dei degli dello di da la le les des du dos das van den der von am an im auf aan upon on sur sous en bis ter hs y e & -'.split(
    ' ',
  ),
);
const isLowerWord = (t: string): boolean =>
  LOWER_ADDRESS_WORDS.has(t) || LOWER_ADDRESS_WORDS.has(t.replace(/\.$/, ''));
const isAddressToken = (raw: string): boolean => {
  const t = bare(raw);
  return ADDRESS_TOKEN.test(t) || ABBREVIATIONS.test(t) || isLowerWord(t);
};

/**
 * How far back from `at` the address words reach, one comma-separated part at a time. A part
 * without a number, a place word or a street word (a district: "Brixton", "Penwortham") is
 * passed over, at most two in a row, and kept only when a part with one lies before it.
 */
function readBack(text: string, at: number): number {
  let start = at;
  let parts = 0;
  let pending = 0;
  const window = text.slice(Math.max(0, at - 200), at);
  const offset = at - window.length;
  const segments = window.split(/(,|\n)/);
  let end = window.length;
  for (let i = segments.length - 1; i >= 0; i -= 1) {
    const seg = segments[i]!;
    end -= seg.length;
    if (seg === ',' || seg === '\n') {
      if (seg === '\n' && /\n\s*$/.test(window.slice(0, end))) break;
      continue;
    }
    const tokens = [...seg.matchAll(/\S+/g)];
    if (tokens.length === 0) continue;
    let k = tokens.length;
    while (k > 0 && isAddressToken(tokens[k - 1]![0])) k -= 1;
    while (k < tokens.length && CONNECTORS.has(bare(tokens[k]![0]))) k += 1;
    const kept = tokens.slice(k);
    if (kept.length === 0) break;
    const words = kept.map((t) => bare(t[0])).join(' ');
    const addressy = /\d/.test(words) || PLACE_WORD.test(words) || STREET_PART.test(words);
    if (parts > 0 && !addressy) {
      pending += 1;
      if (k > 0 || pending > 2) break;
      continue;
    }
    start = offset + end + kept[0]!.index;
    parts += 1 + pending;
    pending = 0;
    if (k > 0 || parts > 6) break;
  }
  return start;
}

function anchored(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const re of ANCHORS) {
    for (const m of text.matchAll(re)) {
      const start = readBack(text, m.index);
      const head = text.slice(start, m.index);
      if (!/\d/.test(head) && !BOX.test(head)) continue;
      spans.push(span('street-address', text, start, m.index + m[0].length, 0.75));
    }
  }
  return spans;
}

export const detectAddresses: Detector = (text) => [...anchored(text), ...streetLines(text)];
