/**
 * PII detectors: pure functions of text, one per PiiType, merged into non-overlapping spans.
 * Checksummed types (cards, IBANs) are confirmed by their checksum; the rest trade recall for
 * precision with context (keywords before a value, shapes that are dates or order numbers).
 * Every regex is anchored by a look-behind on its first character so a long run of text is
 * scanned once, never re-entered at each of its characters. The costly Unicode ones (email, IPv6,
 * names, addresses, URL passwords) are only tried where a cheap pass says a match can start: an
 * '@', a ':', a listed first name, a street word (see `matchAt` in pii-scan.ts). Names and street
 * addresses are in pii-names.ts, secrets in pii-secrets.ts, health data in pii-health.ts and
 * pii-health-narrative.ts.
 */
import { electronicFormatIBAN, countrySpecs, isValidIBAN } from 'ibantools';
import { detectAddresses } from './pii-addresses';
import { detectHealth } from './pii-health';
import { detectHealthNarrative } from './pii-health-narrative';
import { detectIds } from './pii-ids';
import { detectNames } from './pii-names';
import { detectPhones, ID_CONTEXT } from './pii-phones';
import { detectSecrets } from './pii-secrets';
import {
  before,
  indexesOf,
  isLetterOrNumberAt,
  matchAt,
  previousCodePoint,
  span,
  sticky,
  type Detector,
} from './pii-scan';
import {
  PII_TYPES,
  type PiiContext,
  type PiiScanOptions,
  type PiiSpan,
  type PiiType,
} from './types';

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
  'vat-id': 'VAT',
  passport: 'PASSPORT',
  'national-id': 'NATID',
  'date-of-birth': 'DOB',
  'medical-record': 'MRN',
  'health-plan-id': 'HEALTHPLAN',
  'diagnosis-code': 'DIAGNOSIS',
  'prescriber-id': 'PRESCRIBER',
  'health-condition': 'CONDITION',
};

// --- email ---------------------------------------------------------------------------------

const EMAIL =
  /(?<![\p{L}\p{N}._%+'/-])[\p{L}\p{N}_%+'-]+(?:\.[\p{L}\p{N}_%+'-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,24}(?![\p{L}\p{N}-])/gu;

/** `scheme://user:password@host` carries a password, not an email address. */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s/@]*$/i;

const EMAIL_AT = sticky(EMAIL);
/** Characters of a local part, dots included. */
const LOCAL_PUNCTUATION = new Set(['.', '_', '%', '+', "'", '-']);

/**
 * Where EMAIL can start: before each '@', the start of the run of local-part characters. A later
 * start fails the look-behind (a local-part character precedes it) and an earlier one cannot reach
 * the '@'; every match holds one '@', so the '@'s find them all.
 */
function emailStarts(text: string): number[] {
  const starts: number[] = [];
  for (const at of indexesOf(text, '@')) {
    let start = at;
    while (start > 0) {
      const prev = previousCodePoint(text, start);
      if (!LOCAL_PUNCTUATION.has(text[prev]!) && !isLetterOrNumberAt(text, prev)) break;
      start = prev;
    }
    if (start < at) starts.push(start);
  }
  return starts;
}

const detectEmails: Detector = (text) =>
  matchAt(EMAIL_AT, text, emailStarts(text))
    .filter((m) => !URL_CREDENTIALS.test(before(text, m.index, 64)))
    .map((m) => span('email', text, m.index, m.index + m[0].length, 0.95));

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
  /(?:\b(?:v|version|ver\.?|release|build|firmware|fw|software|bios|driver|update|section|chapter|clause|step|figure|table)|§|[A-Za-z]\/)\s*$/i;

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

const IPV6_AT = sticky(IPV6_CANDIDATE);

/** A candidate holds a ':' within its first five characters: it starts at most 4 before one. */
function ipv6Starts(text: string): number[] {
  const starts: number[] = [];
  let next = 0;
  for (const colon of indexesOf(text, ':')) {
    for (let i = Math.max(next, colon - 4); i <= colon; i += 1) starts.push(i);
    next = colon + 1;
  }
  return starts;
}

const detectIps: Detector = (text) => {
  const spans: PiiSpan[] = [];
  for (const m of text.matchAll(IPV4)) {
    if (VERSION_CONTEXT.test(before(text, m.index, 12))) continue;
    spans.push(span('ip-address', text, m.index, m.index + m[0].length, 0.9));
  }
  for (const m of matchAt(IPV6_AT, text, ipv6Starts(text))) {
    if (validIpv6(m[0])) spans.push(span('ip-address', text, m.index, m.index + m[0].length, 0.9));
  }
  return spans;
};

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
  'vat-id': detectIds.vat,
  passport: detectIds.passport,
  'national-id': detectIds.nationalId,
  'date-of-birth': detectIds.dateOfBirth,
  'medical-record': detectHealth.medicalRecord,
  'health-plan-id': detectHealth.healthPlanId,
  'diagnosis-code': detectHealth.diagnosisCode,
  'prescriber-id': detectHealth.prescriberId,
  'health-condition': detectHealthNarrative,
};

/** Every PII span in `text`, sorted by start; of overlapping spans the surer, then longer, wins. */
export function detectPii(text: string, options: PiiScanOptions = {}): PiiSpan[] {
  const minConfidence = options.minConfidence ?? 0.5;
  const context: PiiContext = {
    region: options.region ?? 'US',
    ...(options.language ? { language: options.language } : {}),
  };
  const found = (options.types ?? PII_TYPES)
    .flatMap((type) => DETECTORS[type](text, context))
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
    case 'vat-id':
    case 'passport':
    case 'national-id':
    case 'medical-record':
    case 'health-plan-id':
    case 'prescriber-id':
      return v.replace(/[\s.-]/g, '').toUpperCase();
    case 'phone':
      return v.replace(/[\s.()-]/g, '');
    case 'email':
    case 'health-condition':
      return v.toLowerCase();
    default:
      return v;
  }
}
