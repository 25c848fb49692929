/**
 * Identifiers of people and companies: EU VAT ids (each country's check digits where it has them),
 * national id numbers (UK NINO, French INSEE, German Steuer-ID, Dutch BSN, Spanish DNI/NIE,
 * Italian codice fiscale), passport numbers and dates of birth. Where a scheme has no check digit,
 * or its check digit is weak, a keyword before the value (in the six supported languages) is
 * what makes it one.
 */
import { before, span, type Detector } from './pii-scan';
import type { PiiSpan } from './types';

const digitsOf = (s: string): number[] => [...s].map((c) => c.charCodeAt(0) - 48);

/** ISO 7064 MOD 11,10: German VAT ids and tax ids. */
function mod11_10(body: string): boolean {
  let p = 10;
  const d = digitsOf(body);
  for (const x of d.slice(0, -1)) {
    const s = (x + p) % 10 || 10;
    p = (2 * s) % 11;
  }
  return (11 - p) % 10 === d[d.length - 1];
}

function luhn(body: string): boolean {
  let sum = 0;
  digitsOf(body)
    .reverse()
    .forEach((d, i) => {
      const x = i % 2 === 1 ? d * 2 : d;
      sum += x > 9 ? x - 9 : x;
    });
  return sum % 10 === 0;
}

/** Weighted sum of the first digits, for the schemes that use one. */
const weighted = (body: string, weights: readonly number[]): number =>
  weights.reduce((sum, w, i) => sum + w * (body.charCodeAt(i) - 48), 0);

/** A string's value mod 97, letters as 10..35 (as IBANs do): new Dutch VAT ids. */
function mod97(s: string): number {
  let r = 0;
  for (const ch of s) {
    const v = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const c of v) r = (r * 10 + c.charCodeAt(0) - 48) % 97;
  }
  return r;
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

function spanishId(body: string): boolean {
  if (/^\d{8}[A-Z]$/.test(body)) return DNI_LETTERS[Number(body.slice(0, 8)) % 23] === body[8];
  if (/^[XYZ]\d{7}[A-Z]$/.test(body)) {
    const n = Number(String('XYZ'.indexOf(body[0]!)) + body.slice(1, 8));
    return DNI_LETTERS[n % 23] === body[8];
  }
  if (/^[A-HJNP-SUVW]\d{7}[0-9A-J]$/.test(body)) {
    const d = digitsOf(body.slice(1, 8));
    let sum = d[1]! + d[3]! + d[5]!;
    for (const i of [0, 2, 4, 6]) sum += Math.floor((d[i]! * 2) / 10) + ((d[i]! * 2) % 10);
    const c = (10 - (sum % 10)) % 10;
    return body[8] === String(c) || body[8] === 'JABCDEFGHI'[c];
  }
  return false;
}

/** Country → the VAT id's body after the prefix: its shape, and its check where there is one. */
const VAT_RULES: Record<string, { shape: RegExp; check?: (b: string) => boolean }> = {
  AT: {
    shape: /^U\d{8}$/,
    check: (b) => {
      const d = digitsOf(b.slice(1));
      let t = 0;
      d.slice(0, 7).forEach((x, i) => {
        const y = i % 2 === 1 ? x * 2 : x;
        t += Math.floor(y / 10) + (y % 10);
      });
      return (96 - t) % 10 === d[7];
    },
  },
  BE: {
    shape: /^[01]\d{9}$/,
    check: (b) => 97 - (Number(b.slice(0, 8)) % 97) === Number(b.slice(8)),
  },
  DE: { shape: /^\d{9}$/, check: mod11_10 },
  DK: { shape: /^\d{8}$/, check: (b) => weighted(b, [2, 7, 6, 5, 4, 3, 2, 1]) % 11 === 0 },
  ES: { shape: /^[0-9A-Z]\d{7}[0-9A-Z]$/, check: spanishId },
  FI: {
    shape: /^\d{8}$/,
    check: (b) => {
      const r = weighted(b, [7, 9, 10, 5, 8, 4, 2]) % 11;
      return r !== 1 && (r === 0 ? 0 : 11 - r) === Number(b[7]);
    },
  },
  FR: {
    shape: /^[0-9A-HJ-NP-Z]{2}\d{9}$/,
    check: (b) =>
      !/^\d\d/.test(b) || (12 + 3 * (Number(b.slice(2)) % 97)) % 97 === Number(b.slice(0, 2)),
  },
  GB: {
    shape: /^(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})$/,
    check: (b) => {
      if (!/^\d{9}/.test(b)) return true;
      const s = weighted(b, [8, 7, 6, 5, 4, 3, 2]) + Number(b.slice(7, 9));
      return s % 97 === 0 || (s + 55) % 97 === 0;
    },
  },
  IE: { shape: /^\d[0-9A-Z+*]\d{5}[A-W][A-IW]?$/ },
  IT: { shape: /^\d{11}$/, check: luhn },
  LU: { shape: /^\d{8}$/, check: (b) => Number(b.slice(0, 6)) % 89 === Number(b.slice(6)) },
  NL: {
    shape: /^\d{9}B\d{2}$/,
    check: (b) => {
      const r = weighted(b, [9, 8, 7, 6, 5, 4, 3, 2]) % 11;
      return (r !== 10 && r === Number(b[8])) || mod97(`NL${b}`) === 1;
    },
  },
  PL: {
    shape: /^\d{10}$/,
    check: (b) => weighted(b, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11 === Number(b[9]),
  },
  PT: {
    shape: /^\d{9}$/,
    check: (b) => {
      const r = 11 - (weighted(b, [9, 8, 7, 6, 5, 4, 3, 2]) % 11);
      return (r >= 10 ? 0 : r) === Number(b[8]);
    },
  },
  SE: { shape: /^\d{10}01$/, check: (b) => luhn(b.slice(0, 10)) },
  BG: { shape: /^\d{9,10}$/ },
  CY: { shape: /^\d{8}[A-Z]$/ },
  CZ: { shape: /^\d{8,10}$/ },
  EE: { shape: /^\d{9}$/ },
  EL: { shape: /^\d{9}$/ },
  HR: { shape: /^\d{11}$/ },
  HU: { shape: /^\d{8}$/ },
  LT: { shape: /^(?:\d{9}|\d{12})$/ },
  LV: { shape: /^\d{11}$/ },
  MT: { shape: /^\d{8}$/ },
  RO: { shape: /^\d{2,10}$/ },
  SI: { shape: /^\d{8}$/ },
  SK: { shape: /^\d{10}$/ },
  XI: { shape: /^\d{9}$/ },
};

const VAT_START = new RegExp(
  `(?<![A-Za-z0-9])(${Object.keys(VAT_RULES).join('|')})(?=[ \\t]?[0-9A-Z])`,
  'g',
);
const VAT_CONTEXT =
  /(?:vat|ust|uid|mwst|umsatzsteuer|tva|iva|btw|nif|cif|p\.?\s?iva|partita|tax|steuer)/i;
/** Characters of a body: letters and digits, with one space, dot or dash between groups. */
const BODY_RUN = /[ \t]?[0-9A-Z+*]+(?:[ .-][0-9A-Z+*]+)*/y;

const detectVat: Detector = (text) => {
  const spans: PiiSpan[] = [];
  for (const m of text.matchAll(VAT_START)) {
    const rule = VAT_RULES[m[1]!]!;
    BODY_RUN.lastIndex = m.index + 2;
    const run = BODY_RUN.exec(text)?.[0] ?? '';
    // The longest prefix of the run that ends a group and has the country's shape.
    let found: { end: number; checked: boolean } | undefined;
    for (let i = run.length; i > 0; i -= 1) {
      if (i < run.length && /[0-9A-Z+*]/.test(run[i]!)) continue;
      const body = run.slice(0, i).replace(/[ \t.-]/g, '');
      if (!rule.shape.test(body)) continue;
      if (rule.check && !rule.check(body)) continue;
      found = { end: m.index + 2 + i, checked: rule.check !== undefined };
      break;
    }
    if (!found) continue;
    const keyword = VAT_CONTEXT.test(before(text, m.index, 40));
    const confidence = found.checked ? (keyword ? 0.97 : 0.9) : keyword ? 0.7 : 0.4;
    spans.push(span('vat-id', text, m.index, found.end, confidence));
  }
  return spans;
};

// --- national ids --------------------------------------------------------------------------

const NINO =
  /(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][ \t]?\d{2}[ \t]?\d{2}[ \t]?\d{2}[ \t]?[A-D](?![A-Za-z0-9])/g;
const INSEE =
  /(?<![\w])[12][ \t]?\d{2}[ \t]?(?:0[1-9]|1[0-2]|[2-9]\d)[ \t]?(?:\d{2}|2[AB])[ \t]?\d{3}[ \t]?\d{3}[ \t]?\d{2}(?![\w])/g;
const ELEVEN_DIGITS = /(?<![\w.,/-])\d{2}[ \t]?\d{3}[ \t]?\d{3}[ \t]?\d{3}(?![\w-]|[.,]\d)/g;
const NINE_DIGITS = /(?<![\w.,/-])\d{4}[ \t.]?\d{2}[ \t.]?\d{3}(?![\w-]|[.,]\d)/g;
const SPANISH_ID = /(?<![A-Za-z0-9])(?:\d{8}|[XYZ]\d{7})[ \t-]?[A-Z](?![A-Za-z0-9])/g;
const CODICE_FISCALE =
  /(?<![A-Za-z0-9])[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z](?![A-Za-z0-9])/g;

const NINO_CONTEXT = /(?:national insurance|\bnin?o?\b|\bni\b|insurance number)/i;
const INSEE_CONTEXT = /(?:insee|sécurité sociale|securite sociale|sécu|nir\b|carte vitale)/i;
const TAX_ID_CONTEXT =
  /(?:steuer[-\s]?id|steueridentifikationsnummer|steuer-?identifikationsnummer|steuernummer|idnr|tax id|tin\b)/i;
const BSN_CONTEXT = /(?:\bbsn|burgerservicenummer|sofinummer|sofi-?nummer)/i;

function germanTaxId(d: string): boolean {
  if (d[0] === '0' || !mod11_10(d)) return false;
  const counts = new Map<string, number>();
  for (const c of d.slice(0, 10)) counts.set(c, (counts.get(c) ?? 0) + 1);
  const repeated = [...counts.values()].filter((n) => n > 1);
  return repeated.length === 1 && (repeated[0] === 2 || repeated[0] === 3);
}

const ODD_CF = [
  1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

function codiceFiscale(cf: string): boolean {
  let sum = 0;
  for (let i = 0; i < 15; i += 1) {
    const ch = cf[i]!;
    const v = /\d/.test(ch) ? ch.charCodeAt(0) - 48 : ch.charCodeAt(0) - 65;
    sum += i % 2 === 0 ? ODD_CF[v]! : v;
  }
  return String.fromCharCode(65 + (sum % 26)) === cf[15];
}

const detectNationalIds: Detector = (text) => {
  const spans: PiiSpan[] = [];
  const add = (m: RegExpMatchArray, confidence: number): void => {
    spans.push(span('national-id', text, m.index!, m.index! + m[0].length, confidence));
  };
  for (const m of text.matchAll(NINO)) {
    add(m, NINO_CONTEXT.test(before(text, m.index, 40)) ? 0.95 : 0.75);
  }
  for (const m of text.matchAll(INSEE)) {
    const d = m[0].replace(/[ \t]/g, '').replace('2A', '19').replace('2B', '18');
    if (97 - Number(BigInt(d.slice(0, 13)) % 97n) !== Number(d.slice(13))) continue;
    add(m, INSEE_CONTEXT.test(before(text, m.index, 40)) ? 0.97 : 0.9);
  }
  for (const m of text.matchAll(ELEVEN_DIGITS)) {
    if (!TAX_ID_CONTEXT.test(before(text, m.index, 40))) continue;
    if (germanTaxId(m[0].replace(/[ \t]/g, ''))) add(m, 0.95);
  }
  for (const m of text.matchAll(NINE_DIGITS)) {
    const d = m[0].replace(/[ \t.]/g, '');
    const sum = weighted(d, [9, 8, 7, 6, 5, 4, 3, 2]) - Number(d[8]);
    if (sum % 11 === 0 && BSN_CONTEXT.test(before(text, m.index, 40))) add(m, 0.95);
  }
  for (const m of text.matchAll(SPANISH_ID)) {
    if (spanishId(m[0].replace(/[ \t-]/g, ''))) add(m, 0.9);
  }
  for (const m of text.matchAll(CODICE_FISCALE)) {
    if (codiceFiscale(m[0])) add(m, 0.95);
  }
  return spans;
};

// --- passports -----------------------------------------------------------------------------

/** "passport number is", "Reisepass hat die Nummer", "n° de passeport": a keyword, then the value. */
const PASSPORT_KEYWORD =
  /(?:passport|passeport|reisepass|pass-?nr|passnummer|pasaporte|paspoort|passaporto)/giu;
/** The first token in capitals and digits after the keyword, with digits in it. */
const PASSPORT_VALUE = /(?<![\p{L}\p{N}])[A-Z0-9]{6,10}(?![\p{L}\p{N}])/u;

const detectPassports: Detector = (text) => {
  const spans: PiiSpan[] = [];
  for (const m of text.matchAll(PASSPORT_KEYWORD)) {
    const from = m.index + m[0].length;
    const window = text.slice(from, from + 40).split(/[\n,;(]/)[0]!;
    const v = PASSPORT_VALUE.exec(window);
    if (!v || !/\d/.test(v[0]) || /^(?:19|20)\d{2}$/.test(v[0])) continue;
    const start = from + v.index;
    spans.push(span('passport', text, start, start + v[0].length, 0.85));
  }
  return spans;
};

// --- dates of birth ------------------------------------------------------------------------

const MONTHS =
  'jan(?:uary|uar|vier|eiro)?|feb(?:ruary|ruar|braio)?|f[ée]v(?:rier)?|mar(?:ch|ch|s|zo|ço)?|m[äa]rz|maart|apr(?:il|ile)?|avr(?:il)?|abr(?:il)?|may|mai|mayo|mei|maggio|jun(?:e|i|io)?|juin|giugno|jul(?:y|i|io)?|juil(?:let)?|luglio|aug(?:ust|ustus)?|ao[uû]t|agosto|sep(?:t|tember|tembre|tiembre)?|settembre|o[ck]t(?:ober|obre)?|ottobre|nov(?:ember|embre)?|de[cz](?:ember|embre)?|dic(?:iembre|embre)?|d[ée]c(?:embre)?|gen(?:naio)?|enero|febrero|januari|februari|juni|juli|augustus|oktober|dezember|marzo|aprile|maggio|luglio|novembre|dicembre|janvier|février|mars|avril|juin|juillet|septembre|octobre|décembre|junio|julio|octubre|noviembre|diciembre';
const DATE = `(?:\\d{1,2}[./-]\\d{1,2}[./-](?:19|20)?\\d{2}|(?:19|20)\\d{2}-\\d{1,2}-\\d{1,2}|\\d{1,2}(?:\\.|st|nd|rd|th|er|º)?[ \\t]+(?:de[ \\t]+|of[ \\t]+)?(?:${MONTHS})\\.?[ \\t]+(?:de[ \\t]+)?(?:19|20)\\d{2}|(?:${MONTHS})\\.?[ \\t]+\\d{1,2}(?:st|nd|rd|th)?,?[ \\t]+(?:19|20)\\d{2})`;
const BIRTH_KEYWORDS =
  'date of birth|birth ?date|d\\.?o\\.?b\\.?|born|birthday|geburtsdatum|geburtstag|geboren|geb\\.|date de naissance|n[ée]e?|fecha de nacimiento|nacid[oa]|nac[ií]|geboortedatum|data di nascita|nat[oa]';
/**
 * A birth word, then the date, with at most four words between them ("born in Leeds on",
 * "geboren bin ich am", "nato a Milano il", "fecha de nacimiento el"): no digits between.
 */
const DATE_OF_BIRTH = new RegExp(
  `(?<![\\p{L}])(?:${BIRTH_KEYWORDS})(?![\\p{L}])(?:[\\s:,-]+(?!\\d)[\\p{L}'’]+\\.?){0,4}?[\\s:,-]+(${DATE})(?![\\p{L}\\d])`,
  'giu',
);
/**
 * The date, then the birth word (German word order, "am 04.11.1993 geboren"): tried only in the
 * 40 characters before each "geboren", since DATE would otherwise be tried at every position.
 */
const DATE_THEN_BIRTH = new RegExp(
  `(?<![\\p{L}\\d])(${DATE})[ \\t,]+(?:(?:bin|wurde|ist|ich|er|sie)[ \\t]+){0,2}$`,
  'iu',
);
function datesThenBirth(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const g of text.matchAll(/geboren(?![\p{L}])/giu)) {
    const from = Math.max(0, g.index - 40);
    const m = DATE_THEN_BIRTH.exec(text.slice(from, g.index));
    if (m)
      spans.push(span('date-of-birth', text, from + m.index, from + m.index + m[1]!.length, 0.85));
  }
  return spans;
}

const detectDatesOfBirth: Detector = (text) => [
  ...[...text.matchAll(DATE_OF_BIRTH)].map((m) => {
    const start = m.index + m[0].length - m[1]!.length;
    return span('date-of-birth', text, start, start + m[1]!.length, 0.85);
  }),
  ...datesThenBirth(text),
];

export const detectIds = {
  vat: detectVat,
  passport: detectPassports,
  nationalId: detectNationalIds,
  dateOfBirth: detectDatesOfBirth,
} as const;
