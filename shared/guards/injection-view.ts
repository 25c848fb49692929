/**
 * The view prompt-injection rules read: the input with look-alike letters folded to Latin, invisible
 * characters dropped and HTML entities / %xx escapes decoded, each character flagged with how it
 * got there and mapped back to its offsets in the input; plus notes on the hidden characters seen.
 */
import { fromHex, latin1, utf8 } from './injection-decode';
import type { InjectionSignal } from './types';

export const LOOKALIKE = 1;
export const ENCODED = 2;
export const HIDDEN = 4;

/** "xy xy …" → { x: 'y' }: compact tables of single characters. */
const pairs = (list: string): Record<string, string> =>
  Object.fromEntries(list.split(' ').map((p) => [p.slice(0, 1), p.slice(1)]));

/** Cyrillic, Greek and Armenian letters that render like Latin ones (from Unicode's confusables). */
const CONFUSABLES = pairs(
  'аa еe кk оo рp сc уy хx іi јj ѕs һh ԁd ԛq ԝw ӏl АA ВB ЕE КK МM НH ОO РP СC ТT ХX УY ІI ЈJ ЅS ' +
    'ԚQ ԜW ӀI αa οo ρp νv ιi κk υu χx ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX օo սu',
);
/** Latin-script variants folded without suspicion (Turkish dotless i, IPA letters, ligatures). */
const PLAIN_FOLDS = pairs('ıi ɡg ɑa ßss æae œoe');

export const isHidden = (cp: number): boolean =>
  (cp >= 0x200b && cp <= 0x200f) ||
  (cp >= 0x202a && cp <= 0x202e) ||
  (cp >= 0x2060 && cp <= 0x2069) ||
  cp === 0xfeff ||
  cp === 0x00ad ||
  cp === 0x180e ||
  (cp >= 0xe0000 && cp <= 0xe007f);

/** Fullwidth, mathematical and enclosed letters: NFKC turns them into ASCII letters or digits. */
const STYLED = (cp: number): boolean =>
  (cp >= 0xff01 && cp <= 0xff5e) ||
  (cp >= 0x1d400 && cp <= 0x1d7ff) ||
  (cp >= 0x2460 && cp <= 0x24ff) ||
  (cp >= 0x1f130 && cp <= 0x1f189);

interface Fold {
  text: string;
  lookalike: boolean;
}
const foldCache = new Map<number, Fold>();

function foldCodePoint(cp: number): Fold {
  const cached = foldCache.get(cp);
  if (cached) return cached;
  const ch = String.fromCodePoint(cp);
  let fold: Fold;
  const confusable = CONFUSABLES[ch];
  if (confusable) fold = { text: confusable, lookalike: true };
  else if (PLAIN_FOLDS[ch]) fold = { text: PLAIN_FOLDS[ch], lookalike: false };
  else {
    const compat = ch.normalize('NFKC');
    const styled = STYLED(cp) && /^[A-Za-z0-9]+$/.test(compat);
    // Strip accents in Latin, Greek and Cyrillic only (NFD would split Hangul into jamo).
    const bare =
      cp < 0x0530 || (cp >= 0x1e00 && cp <= 0x1fff)
        ? compat.normalize('NFD').replace(/\p{M}/gu, '')
        : compat;
    const again = bare.length === 1 ? CONFUSABLES[bare] : undefined;
    fold = { text: again ?? bare, lookalike: styled || again !== undefined };
  }
  foldCache.set(cp, fold);
  return fold;
}

/** The named entities worth decoding ("name" + character); numeric ones (&#105;) all are. */
const NAMED_ENTITIES: Record<string, string> = Object.fromEntries(
  [
    'amp& lt< gt> quot" apos\' nbsp\u00a0 ndash– mdash— hellip… lsquo‘ rsquo’ ldquo“ rdquo”',
    'pound£ euro€ copy© reg® trade™ szligß eacuteé egraveè agraveà ccedilç uumlü oumlö aumlä',
  ]
    .join(' ')
    .split(' ')
    .map((e) => [e.slice(0, -1), e.slice(-1)]),
);
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));/y;
const PERCENT_RUN = /(?:%[0-9a-fA-F]{2})+/y;

/** What the view builder noticed about hidden characters, for the standalone signals. */
export interface HiddenNotes {
  /** Zero-width characters between two ASCII letters. */
  inWords: number[];
  tagRuns: { start: number; end: number }[];
  /** U+202D / U+202E: text after them is displayed reversed. */
  overrides: number[];
  otherBidi: number;
}

/** The text as scanned: `text[i]` came from the input range `[from[i], to[i])`. */
export interface View {
  text: string;
  from?: Int32Array;
  to?: Int32Array;
  flags?: Uint8Array;
  lookalikes: number;
  hidden: HiddenNotes;
}

const SPECIAL = /[&%\u0080-\uffff]/;
/** Characters the view does not copy as they are: entities, %-escapes, anything non-ASCII. */
const isSpecial = (c: number): boolean => c >= 0x80 || c === 0x26 || c === 0x25;
export const isAsciiLetter = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;

/** Appends view characters with their origin; typed arrays grown by doubling. */
class ViewBuilder {
  private parts: string[] = [];
  from: Int32Array;
  to: Int32Array;
  flags: Uint8Array;
  length = 0;
  /** HIDDEN when an invisible character was just dropped: marks the next character. */
  pending = 0;
  lookalikes = 0;

  constructor(capacity: number) {
    this.from = new Int32Array(capacity);
    this.to = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.from.length) return;
    const size = Math.max(this.from.length * 2, this.length + n);
    const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
    this.from = grow(this.from, new Int32Array(size));
    this.to = grow(this.to, new Int32Array(size));
    this.flags = grow(this.flags, new Uint8Array(size));
  }

  /** Input `[a, b)` copied as is (ASCII without & or %). */
  copy(input: string, a: number, b: number): void {
    this.reserve(b - a);
    this.parts.push(input.slice(a, b));
    for (let k = a; k < b; k += 1) {
      this.from[this.length] = k;
      this.to[this.length] = k + 1;
      this.flags[this.length] = this.pending;
      this.pending = 0;
      this.length += 1;
    }
  }

  /** `s` (decoded or original text) standing for input `[a, b)`: folded, invisibles dropped. */
  emit(s: string, a: number, b: number, flag: number): void {
    for (let u = 0; u < s.length;) {
      const cp = s.codePointAt(u) ?? 0;
      u += cp > 0xffff ? 2 : 1;
      if (isHidden(cp)) {
        this.pending = HIDDEN;
        continue;
      }
      const f: Fold =
        cp < 0x80 ? { text: String.fromCharCode(cp), lookalike: false } : foldCodePoint(cp);
      if (f.lookalike) this.lookalikes += 1;
      this.reserve(f.text.length);
      this.parts.push(f.text);
      for (let k = 0; k < f.text.length; k += 1) {
        this.from[this.length] = a;
        this.to[this.length] = b;
        this.flags[this.length] = flag | this.pending | (f.lookalike ? LOOKALIKE : 0);
        this.pending = 0;
        this.length += 1;
      }
    }
  }

  text(): string {
    return this.parts.join('');
  }
}

export function buildView(input: string): View {
  const hidden: HiddenNotes = { inWords: [], tagRuns: [], overrides: [], otherBidi: 0 };
  if (!SPECIAL.test(input)) return { text: input, lookalikes: 0, hidden };
  const out = new ViewBuilder(input.length + 16);
  let i = 0;
  while (i < input.length) {
    let next = i;
    while (next < input.length && !isSpecial(input.charCodeAt(next))) next += 1;
    if (next > i) {
      out.copy(input, i, next);
      i = next;
      continue;
    }
    const c = input.charCodeAt(i);
    if (c === 0x26) {
      ENTITY.lastIndex = i;
      const m = ENTITY.exec(input);
      const decoded = m ? decodeEntity(m) : undefined;
      if (m && decoded !== undefined) {
        out.emit(decoded, i, i + m[0].length, m[3] === undefined ? ENCODED : 0);
        i += m[0].length;
        continue;
      }
    } else if (c === 0x25) {
      PERCENT_RUN.lastIndex = i;
      const m = PERCENT_RUN.exec(input);
      if (m) {
        const bytes = fromHex(m[0]);
        out.emit(utf8(bytes) ?? latin1(bytes), i, i + m[0].length, ENCODED);
        i += m[0].length;
        continue;
      }
    } else {
      const cp = input.codePointAt(i) ?? c;
      const width = cp > 0xffff ? 2 : 1;
      noteHidden(input, i, cp, width, hidden);
      out.emit(input.slice(i, i + width), i, i + width, 0);
      i += width;
      continue;
    }
    out.copy(input, i, i + 1);
    i += 1;
  }
  const n = out.length;
  return {
    text: out.text(),
    from: out.from.subarray(0, n),
    to: out.to.subarray(0, n),
    flags: out.flags.subarray(0, n),
    lookalikes: out.lookalikes,
    hidden,
  };
}

function decodeEntity(m: RegExpExecArray): string | undefined {
  if (m[3] !== undefined) return NAMED_ENTITIES[m[3].toLowerCase()];
  const cp = m[1] !== undefined ? parseInt(m[1], 10) : parseInt(m[2] ?? '', 16);
  return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined;
}

function noteHidden(input: string, i: number, cp: number, width: number, notes: HiddenNotes): void {
  if (cp >= 0xe0000 && cp <= 0xe007f) {
    const last = notes.tagRuns[notes.tagRuns.length - 1];
    if (last && last.end === i) last.end = i + width;
    else notes.tagRuns.push({ start: i, end: i + width });
  } else if (cp === 0x202d || cp === 0x202e) notes.overrides.push(i);
  else if ((cp >= 0x202a && cp <= 0x202c) || (cp >= 0x2066 && cp <= 0x2069)) notes.otherBidi += 1;
  else if ((cp >= 0x200b && cp <= 0x200d) || (cp >= 0x2060 && cp <= 0x2064) || cp === 0xfeff) {
    let next = i + width;
    while (next < input.length && isHidden(input.codePointAt(next) ?? 0)) next += 1;
    if (i > 0 && isAsciiLetter(input.charCodeAt(i - 1)) && isAsciiLetter(input.charCodeAt(next))) {
      notes.inWords.push(i);
    }
  }
}

export const origin = (view: View, s: number, e: number): [number, number] =>
  view.from && view.to ? [view.from[s] ?? s, view.to[e - 1] ?? e] : [s, e];

export function flagged(view: View, s: number, e: number, flag: number): boolean {
  if (!view.flags) return false;
  for (let i = flag === HIDDEN ? s + 1 : s; i < e; i += 1)
    if ((view.flags[i] ?? 0) & flag) return true;
  return false;
}

/**
 * Words mixing Latin with Cyrillic/Greek look-alikes ("pаypal"), at most `limit` of them. Here,
 * beside the flags it reads: the loop visits every character of the view.
 */
export function mixedScriptWords(view: View, flags: Uint8Array, limit: number): InjectionSignal[] {
  const signals: InjectionSignal[] = [];
  const letter = (i: number): boolean => isAsciiLetter(view.text.charCodeAt(i));
  for (let i = 0; i < flags.length && signals.length < limit; i += 1) {
    if (!((flags[i] ?? 0) & LOOKALIKE) || !letter(i)) continue;
    let start = i;
    let end = i;
    while (start > 0 && letter(start - 1)) start -= 1;
    while (end < flags.length && letter(end)) end += 1;
    let fake = 0;
    for (let k = start; k < end; k += 1) fake += (flags[k] ?? 0) & LOOKALIKE;
    if (fake < end - start) {
      const [a, b] = origin(view, start, end);
      signals.push({ kind: 'look-alike-characters', start: a, end: b, weight: 0.1 });
    }
    i = end;
  }
  return signals;
}
