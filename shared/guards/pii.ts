/**
 * PII detectors: pure functions of text, one per PiiType, merged into non-overlapping spans.
 * Checksummed types (cards, IBANs) are confirmed by their checksum; the rest trade recall for
 * precision with context (keywords before a value, shapes that are dates or order numbers).
 * Every regex is anchored by a look-behind on its first character so a long run of text is
 * scanned once, never re-entered at each of its characters.
 */
import { electronicFormatIBAN, countrySpecs, isValidIBAN } from 'ibantools';
import { findPhoneNumbersInText } from 'libphonenumber-js';
import { PII_TYPES, type PiiScanOptions, type PiiSpan, type PiiType } from './types';

/** The label of each type, used by `maskPii` (`[EMAIL]`) and by redaction (`[EMAIL_1]`). */
export const PII_LABELS: Readonly<Record<PiiType, string>> = {
  email: 'EMAIL',
  phone: 'PHONE',
  'credit-card': 'CARD',
  iban: 'IBAN',
  ssn: 'SSN',
  'ip-address': 'IP',
  secret: 'SECRET',
  'person-name': 'NAME',
  'street-address': 'ADDRESS',
};

type Detector = (text: string) => PiiSpan[];

function span(
  type: PiiType,
  text: string,
  start: number,
  end: number,
  confidence: number,
): PiiSpan {
  return { type, start, end, value: text.slice(start, end), confidence };
}

/** The `width` characters before `start`, for keyword checks. */
function before(text: string, start: number, width = 32): string {
  return text.slice(Math.max(0, start - width), start);
}

/** "order #", "tracking no.", "invoice": the number that follows is an identifier, not PII. */
const ID_CONTEXT =
  /\b(?:order|tracking|invoice|inv|ref(?:erence)?|ticket|case|sku|isbn|po|confirmation|shipment|parcel|serial|part|build|version|id)\b[\s#:.]*(?:no\.?|num(?:ber)?|id|#)?[\s#:.]*$/i;

// --- email ---------------------------------------------------------------------------------

const EMAIL =
  /(?<![\p{L}\p{N}._%+'/-])[\p{L}\p{N}_%+'-]+(?:\.[\p{L}\p{N}_%+'-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,24}(?![\p{L}\p{N}-])/gu;

/** `scheme://user:password@host` carries a password, not an email address. */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s/@]*$/i;

const detectEmails: Detector = (text) =>
  [...text.matchAll(EMAIL)]
    .filter((m) => !URL_CREDENTIALS.test(before(text, m.index, 64)))
    .map((m) => span('email', text, m.index, m.index + m[0].length, 0.95));

// --- phone ---------------------------------------------------------------------------------

const PHONE_CONTEXT = /(?:phone|tel|mobile|cell|call|fax|whatsapp|sms|text|reach|dial|contact)/i;
const DATE_SHAPE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$/;

/** Digit groups shaped like a phone number; libphonenumber is slow, so it only sees these. */
const PHONE_CANDIDATE =
  /(?<![\w+.,/-])(?:\+\d{1,3}[ .-]?|1[ .-])?(?:\(\d{1,4}\)[ .-]?)?\d{1,11}(?:[ .-]{1,2}\d{1,8}){0,6}(?:[ \t]*(?:ext\.?|x|#)[ \t]*\d{1,5})?(?![\w-]|[.,]\d)/g;

/**
 * libphonenumber finds "possible" numbers (right length for the country); "valid" ones also
 * match the numbering plan. A possible-only number needs a phone keyword before it to count.
 */
const detectPhones: Detector = (text) => {
  const spans: PiiSpan[] = [];
  for (const c of text.matchAll(PHONE_CANDIDATE)) {
    const digits = c[0].replace(/[ \t]*(?:ext\.?|x|#)[ \t]*\d+$/, '').replace(/\D/g, '');
    // Without a +country code only a US number can parse: 10 digits, or 11 after a leading 1.
    const plausible = c[0].startsWith('+')
      ? digits.length >= 7 && digits.length <= 15
      : digits.length === 10 || (digits.length === 11 && digits.startsWith('1'));
    if (!plausible || DATE_SHAPE.test(c[0]) || /^\d+(?:\.\d+){3}$/.test(c[0])) continue;
    if (ID_CONTEXT.test(before(text, c.index, 24))) continue;
    for (const m of findPhoneNumbersInText(c[0], { defaultCountry: 'US', extended: true })) {
      const start = c.index + m.startsAt;
      const keyword = PHONE_CONTEXT.test(before(text, start, 40));
      const confidence = m.number.isValid() ? 0.9 : keyword ? 0.6 : 0.4;
      spans.push(span('phone', text, start, c.index + m.endsAt, confidence));
    }
  }
  return spans;
};

// --- credit card ---------------------------------------------------------------------------

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** True when the IIN prefix and the length belong to a known card brand. */
function knownBrand(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  if (d.startsWith('4')) return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // Amex
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649)) return n >= 16; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16; // JCB
  if (p2 === 36 || p2 === 38 || p2 === 39 || (p3 >= 300 && p3 <= 305)) return n >= 14; // Diners
  if (p2 === 62) return n >= 16; // UnionPay
  if (p4 >= 2200 && p4 <= 2204) return n >= 16; // Mir
  return false;
}

/** A run of digit groups; the groups are then checked against the shapes cards are printed in. */
const DIGIT_RUN = /(?<![\w+.,/-])\d+(?:[ -]\d+)*(?![\w-])/g;
const CARD_CONTEXT = /(?:card|credit|debit|visa|mastercard|amex|cc|pan)\b/i;

/** Sub-runs printed like a card: 4-4-4-4(-3), 4-4-4-1..4, 4-6-5 or 4-6-4, or 13–19 bare digits. */
function cardCandidates(groups: string[]): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (let i = 0; i < groups.length; i += 1) {
    if (groups.length === 1) {
      const n = groups[0]!.length;
      if (n >= 13 && n <= 19) found.push([0, 1]);
      break;
    }
    if (groups[i]!.length !== 4) continue;
    const lens = groups.slice(i, i + 5).map((g) => g.length);
    if (lens[1] === 6 && (lens[2] === 5 || lens[2] === 4)) found.push([i, i + 3]);
    let j = i + 1;
    while (j < groups.length && j - i < 4 && groups[j]!.length === 4) j += 1;
    if (j - i === 4 && j < groups.length && groups[j]!.length === 3) j += 1;
    else if (j - i === 3 && j < groups.length && groups[j]!.length <= 4) j += 1;
    if (j - i >= 4) found.push([i, j]);
  }
  return found;
}

const detectCards: Detector = (text) => {
  const spans: PiiSpan[] = [];
  for (const m of text.matchAll(DIGIT_RUN)) {
    if (m[0].length < 13) continue;
    const groups = m[0].split(/[ -]/);
    const offsets: number[] = [];
    for (let i = 0, at = m.index; i < groups.length; at += groups[i]!.length + 1, i += 1) {
      offsets.push(at);
    }
    let taken = 0;
    for (const [from, to] of cardCandidates(groups)) {
      const digits = groups.slice(from, to).join('');
      if (from < taken || digits.length < 13 || digits.length > 19 || !luhn(digits)) continue;
      const start = offsets[from]!;
      const end = offsets[to - 1]! + groups[to - 1]!.length;
      let confidence = 0.99;
      if (!knownBrand(digits)) {
        if (ID_CONTEXT.test(before(text, start, 24))) continue;
        confidence = CARD_CONTEXT.test(before(text, start, 40)) ? 0.7 : 0.4;
      }
      spans.push(span('credit-card', text, start, end, confidence));
      taken = to;
    }
  }
  return spans;
};

// --- IBAN ----------------------------------------------------------------------------------

const IBAN_START = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}/g;

/** Reads exactly the country's IBAN length, allowing one space or dash between characters. */
const detectIbans: Detector = (text) => {
  const spans: PiiSpan[] = [];
  for (const m of text.matchAll(IBAN_START)) {
    const length = countrySpecs[m[0].slice(0, 2)]?.chars;
    if (!length) continue;
    let need = length - 4;
    let i = m.index + 4;
    while (need > 0 && i < text.length) {
      const ch = text[i]!;
      if (/[A-Za-z0-9]/.test(ch)) need -= 1;
      else if (!((ch === ' ' || ch === '-') && /[A-Za-z0-9]/.test(text[i + 1] ?? ''))) break;
      i += 1;
    }
    if (need > 0 || /[A-Za-z0-9]/.test(text[i] ?? '')) continue;
    const iban = electronicFormatIBAN(text.slice(m.index, i));
    if (iban && isValidIBAN(iban)) spans.push(span('iban', text, m.index, i, 0.99));
  }
  return spans;
};

// --- SSN -----------------------------------------------------------------------------------

const SSN_SHAPED = /(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])/g;
const SSN_BARE = /(?<![\w-])\d{9}(?![\w-])/g;
const SSN_KEYWORD =
  /(?:\bssn|\bss#|\bss ?(?:no|num|number)\b|social[ -]security|\bsocial\b|\bsoc\.? ?sec)/i;
const FAKE_SSNS = new Set(['078051120', '219099999']);

/** Ranges the SSA never issues (area 000, 666, 9xx; group 00; serial 0000) and famous fakes. */
function validSsn(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900 || group === '00' || serial === '0000') return false;
  return !FAKE_SSNS.has(area + group + serial);
}

const detectSsns: Detector = (text) => {
  const spans: PiiSpan[] = [];
  for (const m of text.matchAll(SSN_SHAPED)) {
    if (!validSsn(m[1]!, m[3]!, m[4]!) || ID_CONTEXT.test(before(text, m.index, 24))) continue;
    const keyword = SSN_KEYWORD.test(before(text, m.index, 40));
    const confidence = keyword ? 0.95 : m[2] === '-' ? 0.85 : 0.6;
    spans.push(span('ssn', text, m.index, m.index + m[0].length, confidence));
  }
  for (const m of text.matchAll(SSN_BARE)) {
    const d = m[0];
    if (!validSsn(d.slice(0, 3), d.slice(3, 5), d.slice(5))) continue;
    if (SSN_KEYWORD.test(before(text, m.index, 30))) {
      spans.push(span('ssn', text, m.index, m.index + 9, 0.9));
    }
  }
  return spans;
};

// --- IP address ----------------------------------------------------------------------------

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\w.:-])${OCTET}(?:\\.${OCTET}){3}(?![\\w-]|\\.\\w)`, 'g');
const IPV6_CANDIDATE =
  /(?<![\w:.-])(?:[0-9A-Fa-f]{1,4}|:)(?::[0-9A-Fa-f]{0,4}){1,7}(?:\.\d{1,3}){0,3}(?![\w:-]|\.\w)/g;
const VERSION_CONTEXT =
  /(?:\b(?:v|version|ver\.?|release|build|section|chapter|clause|step|figure|table)|§|[A-Za-z]\/)\s*$/i;

const IPV4_EXACT = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** Eight hex groups, or fewer around one `::`; a trailing dotted IPv4 counts as two groups. */
function validIpv6(s: string): boolean {
  let hex = s;
  if (s.includes('.')) {
    const cut = s.lastIndexOf(':');
    if (!IPV4_EXACT.test(s.slice(cut + 1))) return false;
    hex = `${s.slice(0, cut + 1)}0:0`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  if (halves.length === 1) return groups.length === 8;
  return groups.length <= 7 && (groups.length >= 2 || s === '::1');
}

const detectIps: Detector = (text) => {
  const spans: PiiSpan[] = [];
  for (const m of text.matchAll(IPV4)) {
    if (VERSION_CONTEXT.test(before(text, m.index, 12))) continue;
    spans.push(span('ip-address', text, m.index, m.index + m[0].length, 0.9));
  }
  for (const m of text.matchAll(IPV6_CANDIDATE)) {
    if (validIpv6(m[0])) spans.push(span('ip-address', text, m.index, m.index + m[0].length, 0.9));
  }
  return spans;
};

// --- secrets -------------------------------------------------------------------------------

const SECRET_PATTERNS: RegExp[] = [
  /(?<![\w-])sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}/g,
  /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{30,}/g,
  /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{22,}/g,
  /(?<![A-Za-z0-9])xox[bpoas]-[A-Za-z0-9-]{10,}/g,
  /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/g,
  /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}/g,
  /(?<![A-Za-z0-9])pk_live_[0-9A-Za-z]{16,}/g,
  /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  /(?<=[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s:/@]{3,}(?=@)/g,
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|[A-Za-z0-9+/=\s]*)/g,
];

/** A keyword, then only a separator (`: `, `=`, `" : "`, ` is `, `Bearer `), then the value. */
const KEYWORD_VALUE =
  /(?<![A-Za-z])(api[_ -]?key|apikey|secret(?:[_-]?key)?|client[_-]?secret|access[_-]?(?:key|token)|auth[_-]?token|refresh[_-]?token|token|password|passwd|pwd|passphrase|authorization|bearer|credentials?|private[_-]?key)(?![A-Za-z_-])["'`]?[ \t]*(:=|=>|[:=]|\bis\b)?[ \t]*["'`]?(?:(?:Bearer|Basic|Token)[ \t]+)?((?:[^\s"'`,;&|<>()[\]{}]|&(?![\w-]+=)){6,512})/gi;
const PLACEHOLDER =
  /^(?:\*+|x+|\.+|<.*>|\$.*|%.*|\{\{.*|process\.env.*|os\.environ.*|null|none|undefined|redacted|hidden|required|optional|string|true|false|\[.*\])$/i;

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}

function characterClasses(s: string): number {
  return [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(s)).length;
}

const detectSecrets: Detector = (text) => {
  const spans: PiiSpan[] = [];
  for (const re of SECRET_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const value = m[0].replace(/\s+$/, '');
      spans.push(span('secret', text, m.index, m.index + value.length, 0.95));
    }
  }
  for (const m of text.matchAll(KEYWORD_VALUE)) {
    const start = m.index + m[0].length - m[3]!.length;
    // A quoted value is taken whole; a bare one loses the sentence's closing punctuation.
    const quoted = /["'`]/.test(text[m.index + m[0].length] ?? '');
    const value = quoted ? m[3]! : m[3]!.replace(/[.,:;?]+$/, '');
    if (PLACEHOLDER.test(value) || /^https?:/i.test(value)) continue;
    const password = /^(?:password|passwd|pwd|passphrase)$/i.test(m[1]!);
    if (password && m[2] && value.length >= 6) {
      spans.push(span('secret', text, start, start + value.length, 0.8));
    } else if (value.length >= 20 && entropy(value) >= 3.5 && characterClasses(value) >= 2) {
      spans.push(span('secret', text, start, start + value.length, 0.75));
    }
  }
  return spans;
};

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

const detectNames: Detector = (text) => {
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
  for (const m of text.matchAll(FIRST_LAST)) {
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
const EU_ADDRESS = new RegExp(
  `(?<![\\p{L}])(?:\\p{Lu}[\\p{L}-]*(?:straße|strasse|str\\.|weg|gasse|platz|allee|damm|ufer|gracht|straat|laan|vej|gade|gatan|vägen)|\\p{Lu}\\p{L}+[ \\t]+(?:Straße|Strasse|Weg|Platz|Allee|Gasse)|(?:Via|Viale|Piazza|Corso|Calle|Avenida|Rua|Plaza|Paseo|ul\\.|al\\.)[ \\t]*(?:(?:de|del|della|di|da|la|dos|das)[ \\t]+)*\\p{Lu}[\\p{L}'-]+(?:[ \\t]+\\p{Lu}[\\p{L}'-]+)?,?)[ \\t]+\\d{1,4}[a-z]?(?![\\w])${EU_POSTCODE_CITY}`,
  'gu',
);
const FR_ADDRESS = new RegExp(
  `(?<![\\w])\\d{1,4}(?:[ \\t]?(?:bis|ter))?,?[ \\t]+(?:rue|avenue|boulevard|place|chemin|allée|impasse|quai)[ \\t]+(?:(?:de|du|des|la|le)[ \\t]+|[ld]['’])*\\p{Lu}[\\p{L}'-]+(?:[ \\t]+\\p{Lu}[\\p{L}'-]+)?${EU_POSTCODE_CITY}`,
  'gu',
);

const detectAddresses: Detector = (text) =>
  [US_ADDRESS, EU_ADDRESS, FR_ADDRESS].flatMap((re) =>
    [...text.matchAll(re)].map((m) => {
      const value = m[0].replace(/[,.]$/, '');
      const confidence = /\d{4,5}(?:-\d{4})?$|, [A-Z]{2}$/.test(value) ? 0.7 : 0.65;
      return span('street-address', text, m.index, m.index + value.length, confidence);
    }),
  );

// --- merging -------------------------------------------------------------------------------

const DETECTORS: Record<PiiType, Detector> = {
  email: detectEmails,
  phone: detectPhones,
  'credit-card': detectCards,
  iban: detectIbans,
  ssn: detectSsns,
  'ip-address': detectIps,
  secret: detectSecrets,
  'person-name': detectNames,
  'street-address': detectAddresses,
};

/** Every PII span in `text`, sorted by start; of overlapping spans the surer, then longer, wins. */
export function detectPii(text: string, options: PiiScanOptions = {}): PiiSpan[] {
  const minConfidence = options.minConfidence ?? 0.5;
  const found = (options.types ?? PII_TYPES)
    .flatMap((type) => DETECTORS[type](text))
    .filter((s) => s.confidence >= minConfidence && s.end > s.start)
    .sort((a, b) => b.confidence - a.confidence || b.end - b.start - (a.end - a.start));
  // `kept` stays sorted by start and free of overlaps: a candidate only has to be checked
  // against its two neighbours at the insertion point.
  const kept: PiiSpan[] = [];
  for (const s of found) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.start < s.start) lo = mid + 1;
      else hi = mid;
    }
    const prev = kept[lo - 1];
    const next = kept[lo];
    if ((!prev || prev.end <= s.start) && (!next || s.end <= next.start)) kept.splice(lo, 0, s);
  }
  return kept;
}

/** Irreversible masking for logs: each span becomes its label, `[EMAIL]`, `[CARD]`, ... */
export function maskPii(text: string, spans: readonly PiiSpan[] = detectPii(text)): string {
  let out = '';
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue;
    out += `${text.slice(at, s.start)}[${PII_LABELS[s.type]}]`;
    at = s.end;
  }
  return out + text.slice(at);
}

/** The same value however it is written: `4111-1111 1111.1111` = `4111111111111111`. */
export function normalisePiiValue(type: PiiType, value: string): string {
  const v = value.trim();
  switch (type) {
    case 'credit-card':
    case 'iban':
    case 'ssn':
      return v.replace(/[\s.-]/g, '').toUpperCase();
    case 'phone':
      return v.replace(/[\s.()-]/g, '');
    case 'email':
      return v.toLowerCase();
    default:
      return v;
  }
}
