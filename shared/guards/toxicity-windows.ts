/**
 * A pre-scan that lets obscenity's `RegExpMatcher` read only the parts of a text that can match.
 *
 * The matcher (the matcher of record) costs ~0.3 µs per character whatever the text holds: it
 * rebuilds the text through its transformers twice, one code point at a time, then runs every
 * pattern over all of it. Most text holds no profanity. The pre-scan rebuilds the text once through
 * the same transformers (cached per code point: a table look-up), finds where a literal occurs that
 * every match of some pattern contains (the pattern's anchor), checks with the pattern itself that
 * a match can start there, widens each such place to the nearest cuts on both sides, and hands the
 * matcher only those windows, joined by a separator.
 *
 * A cut is a character no match and no whitelisted term can contain or reach across: after the
 * transformers it is not a word character (so `\b` reads a window's edge as it reads the cut), no
 * pattern literal nor whitelisted term holds it, and it does not sit where a wildcard could take
 * it (between the two letters around a wildcard, as in `f.ck`). A space is a cut too where no
 * pattern literal ("dumb ass") and no whitelisted term ("cum laude") holds it, so windows are
 * mostly single words. Matches and whitelisted terms therefore lie inside one window, the matcher
 * finds in the windows exactly what it finds in the whole text, and offsets map back by each
 * window's start.
 *
 * Assumed of the transformer chains (true of obscenity's English ones, and checked by the unit
 * test against the full matcher): simple transformers map one code point to one code point;
 * stateful ones only drop repeats of the code point just before.
 */
import type { BlacklistedTerm, MatchPayload, TransformerContainer } from 'obscenity';
import { analysePatterns, isWordUnit, matchesAt, spacesIn } from './toxicity-anchors';

export interface WindowedMatcherOptions {
  /** The matcher of record, and what it was built from. */
  matcher: { getAllMatches(input: string, sorted?: boolean): MatchPayload[] };
  blacklistedTerms: readonly BlacklistedTerm[];
  whitelistedTerms?: readonly string[];
  blacklistMatcherTransformers?: readonly TransformerContainer[];
  whitelistMatcherTransformers?: readonly TransformerContainer[];
}

/** `matcher.getAllMatches(text, true)`, with the matcher reading only what can match. */
export type WindowedMatcher = (text: string) => MatchPayload[];

/**
 * Once the windows (with separators) add up to this share of the text read so far, past the first
 * DENSE_AFTER characters, the matcher reads the whole text instead: same result, less work.
 */
const DENSE = 0.5;
const DENSE_AFTER = 2048;

/** Between windows: three cuts, none a repeat of the one before (repeats may be dropped). */
const SEPARATOR = '\n.\n';

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
/** The index of the code point that ends just before `i`. */
const previousCodePoint = (s: string, i: number): number =>
  i >= 2 && isLow(s.charCodeAt(i - 1)) && isHigh(s.charCodeAt(i - 2)) ? i - 2 : i - 1;

/** Beyond this many repeats a stateful transformer is taken to keep every repeat. */
const PROBE = 256;
const ALL = 0x7fffffff;

/**
 * A transformer chain as the matcher applies it, code point by code point: the simple
 * transformers cached per code point, the stateful ones as how many of a run of one code point
 * they keep (probed once per code point), which is what collapsing duplicates does.
 */
class Chain {
  private readonly simple: Array<(c: number) => number | undefined> = [];
  private readonly stateful: Array<{ transform(c: number): number | undefined; reset(): void }> =
    [];
  /** Per code point: the simple transformers' result (-1: dropped), then the run kept. */
  private readonly mapped = new Map<number, number>();
  readonly table = new Int32Array(0x10000).fill(-2);
  private readonly kept = new Map<number, number>();
  readonly keptTable = new Int32Array(0x10000).fill(-2);
  /** False once a stateful transformer did something other than keep the start of a run. */
  supported = true;

  constructor(transformers: readonly TransformerContainer[]) {
    for (const t of transformers) {
      if ('transform' in t) {
        if (this.stateful.length > 0) this.supported = false;
        this.simple.push(t.transform);
      } else this.stateful.push(t.factory());
    }
  }

  /** The simple transformers' result; -1 when one of them drops the code point. */
  map(cp: number): number {
    const cached = cp < 0x10000 ? this.table[cp]! : (this.mapped.get(cp) ?? -2);
    if (cached !== -2) return cached;
    let out: number | undefined = cp;
    for (const f of this.simple) out = out === undefined ? undefined : f(out);
    const value = out ?? -1;
    if (cp < 0x10000) this.table[cp] = value;
    else this.mapped.set(cp, value);
    return value;
  }

  /** How many of a run of `cp` (already mapped) the stateful transformers let through. */
  keep(cp: number): number {
    const cached = cp < 0x10000 ? this.keptTable[cp]! : (this.kept.get(cp) ?? -2);
    if (cached !== -2) return cached;
    let count = 0;
    let ended = false;
    for (let i = 0; i < PROBE; i += 1) {
      let out: number | undefined = cp;
      for (const s of this.stateful) out = out === undefined ? undefined : s.transform(out);
      if (out === undefined) ended = true;
      else if (out !== cp || ended) this.supported = false;
      else count += 1;
    }
    for (const s of this.stateful) s.reset();
    const value = count === PROBE ? ALL : count;
    if (cp < 0x10000) this.keptTable[cp] = value;
    else this.kept.set(cp, value);
    return value;
  }
}

export function createWindowedMatcher(options: WindowedMatcherOptions): WindowedMatcher {
  const fullScan: WindowedMatcher = (text) => options.matcher.getAllMatches(text, true);
  const blacklist = new Chain(options.blacklistMatcherTransformers ?? []);
  const whitelist = new Chain(options.whitelistMatcherTransformers ?? []);

  const facts = analysePatterns(options.blacklistedTerms);
  // A wildcard at a pattern's edge could take any character: no window is safe then.
  if (!facts) return fullScan;
  const { anchors, literal, aroundWildcard, spaced } = facts;
  /** UTF-16 units that whitelisted terms hold; the terms holding a space ("cum laude"). */
  const whitelisted = new Set<number>();
  const spacedTerms: string[] = [];
  let spacesCanCut = facts.spacesCanCut && whitelist.keep(0x20) === 1;
  for (const term of options.whitelistedTerms ?? []) {
    for (let k = 0; k < term.length; k += 1) whitelisted.add(term.charCodeAt(k));
    if (term.includes(' ')) spacedTerms.push(term);
    if (term.startsWith(' ') || term.endsWith(' ')) spacesCanCut = false;
  }
  /** Each whitelisted term split at each of its spaces; how far they reach; what is next to them. */
  const aroundSpaces = spacedTerms.flatMap((term) =>
    spacesIn(term).map((offset) => ({
      left: term.slice(0, offset),
      right: term.slice(offset + 1),
    })),
  );
  const spacedReach = {
    left: Math.max(0, ...aroundSpaces.map((t) => t.left.length)),
    right: Math.max(0, ...aroundSpaces.map((t) => t.right.length)),
  };
  const beforeSpace = new Set(
    aroundSpaces.map(({ left }) => left.codePointAt(previousCodePoint(left, left.length))),
  );
  const afterSpace = new Set(aroundSpaces.map(({ right }) => right.codePointAt(0)));

  // The separator must itself read as three cuts.
  const sep = [...SEPARATOR].map((ch) => blacklist.map(ch.charCodeAt(0)));
  const sepOk = sep.every(
    (c, i) =>
      c >= 0 &&
      c < 0x80 &&
      !isWordUnit(c) &&
      !literal.has(c) &&
      c !== sep[i - 1] &&
      !whitelisted.has(whitelist.map(SEPARATOR.charCodeAt(i))),
  );
  if (!sepOk) return fullScan;

  // Buffers reused across calls (grown on demand; calls never interleave).
  const buffers = { units: new Uint16Array(4096), origin: new Int32Array(4096) };

  return (text: string): MatchPayload[] => {
    if (!blacklist.supported) return fullScan(text);
    if (buffers.units.length < 2 * text.length) {
      buffers.units = new Uint16Array(2 * text.length + 1024);
      buffers.origin = new Int32Array(2 * text.length + 1024);
    }
    const { units, origin } = buffers;
    const { table, keptTable } = blacklist;
    // 1. The text as the matcher sees it (UTF-16 units), with each unit's offset in `text`.
    let n = 0;
    let last = -1;
    let remaining = 0;
    for (let i = 0; i < text.length;) {
      const at = i;
      let cp = text.charCodeAt(i);
      i += 1;
      if (cp >= 0xd800 && cp <= 0xdbff && i < text.length) {
        const lo = text.charCodeAt(i);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = (cp - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
          i += 1;
        }
      }
      const cached = cp < 0x10000 ? table[cp]! : -2;
      const out = cached !== -2 ? cached : blacklist.map(cp);
      if (out < 0) continue;
      if (out === last) {
        if (remaining-- <= 0) continue;
      } else {
        const known = out < 0x10000 ? keptTable[out]! : -2;
        const keep = known !== -2 ? known : blacklist.keep(out);
        remaining = keep - 1;
        last = out;
        if (keep <= 0) continue;
      }
      if (out > 0xffff) {
        units[n] = 0xd800 + ((out - 0x10000) >> 10);
        origin[n] = at;
        n += 1;
        units[n] = 0xdc00 + ((out - 0x10000) & 0x3ff);
      } else units[n] = out;
      origin[n] = at;
      n += 1;
    }
    if (!blacklist.supported) return fullScan(text);

    /**
     * The whitelist's view of `text` (its simple transformers, runs of one code point cut to what
     * its stateful ones keep) for `count` units before `end` or from `start`, as whitelisted
     * terms are searched in it.
     */
    const whitelistView = (from: number, count: number, backwards: boolean): string => {
      const out: number[] = [];
      let run = 0;
      for (let i = from; out.length < count && (backwards ? i > 0 : i < text.length);) {
        const at = backwards ? i - 1 : i;
        const pair = backwards
          ? at > 0 && isLow(text.charCodeAt(at)) && isHigh(text.charCodeAt(at - 1))
          : isHigh(text.charCodeAt(at)) && isLow(text.charCodeAt(at + 1));
        const start = backwards && pair ? at - 1 : at;
        i = backwards ? start : start + (pair ? 2 : 1);
        const cp = text.codePointAt(start)!;
        const mapped = whitelist.map(cp);
        if (mapped < 0) continue;
        run = out.length > 0 && out[out.length - 1] === mapped ? run + 1 : 1;
        if (run > whitelist.keep(mapped)) continue;
        out.push(mapped);
      }
      const s = String.fromCodePoint(...out);
      return backwards ? [...s].reverse().join('') : s;
    };

    /** The whitelist's view of the code point just before / from `at` (-1 at an end). */
    const whitelistUnit = (at: number, backwards: boolean): number => {
      for (let i = at; backwards ? i > 0 : i < text.length;) {
        const start = backwards ? previousCodePoint(text, i) : i;
        const cp = text.codePointAt(start)!;
        i = backwards ? start : start + (cp > 0xffff ? 2 : 1);
        const mapped = whitelist.map(cp);
        if (mapped >= 0 && whitelist.keep(mapped) > 0) return mapped;
      }
      return -1;
    };

    /**
     * A space ends a window unless a literal of a pattern ("dumb ass") or a whitelisted term
     * ("cum laude") holds it there, or it sits where a wildcard could take it.
     */
    const isSpaceCut = (k: number): boolean => {
      const at = origin[k]!;
      if (!spacesCanCut || text.charCodeAt(at) !== 0x20) return false;
      for (const { run, spaces } of spaced) {
        for (const offset of spaces) {
          const start = k - offset;
          if (start < 0 || start + run.length > n) continue;
          let j = 0;
          while (j < run.length && units[start + j] === run.charCodeAt(j)) j += 1;
          if (j === run.length) return false;
        }
      }
      let after = at;
      while (after < text.length && text.charCodeAt(after) === 0x20) after += 1;
      // Most spaces have no whitelisted term's neighbours around them: two look-ups, not two views.
      if (
        !beforeSpace.has(whitelistUnit(at, true)) ||
        !afterSpace.has(whitelistUnit(after, false))
      ) {
        return !(k > 0 && k + 1 < n && aroundWildcard.has(units[k - 1]! * 0x10000 + units[k + 1]!));
      }
      const before = whitelistView(at, spacedReach.left, true);
      const following = whitelistView(after, spacedReach.right, false);
      for (const { left, right } of aroundSpaces) {
        if (before.endsWith(left) && following.startsWith(right)) return false;
      }
      return !(k > 0 && k + 1 < n && aroundWildcard.has(units[k - 1]! * 0x10000 + units[k + 1]!));
    };

    const isCut = (k: number): boolean => {
      const c = units[k]!;
      if (c === 0x20) return isSpaceCut(k);
      if (c >= 0x80 || isWordUnit(c) || literal.has(c)) return false;
      const o = text.charCodeAt(origin[k]!);
      if (o >= 0xd800 && o <= 0xdfff) return false;
      if (whitelisted.has(whitelist.map(o))) return false;
      return !(k > 0 && k + 1 < n && aroundWildcard.has(units[k - 1]! * 0x10000 + units[k + 1]!));
    };

    /** The earliest start in [from, k] of a match of a pattern anchored at k; -1 when none. */
    const verify = (k: number, from: number): number => {
      let best = -1;
      for (let node = 0, j = k; j < n; j += 1) {
        node = anchors.child(node, units[j]!);
        if (node === 0) break;
        const patterns = anchors.patterns[node];
        if (patterns === undefined) continue;
        for (const { pattern, offsets } of patterns) {
          // Offsets are in decreasing order: the earliest start first.
          for (const offset of offsets) {
            const start = k - offset;
            if (start < from || (best >= 0 && start >= best)) continue;
            if (matchesAt(pattern, units, n, start)) {
              best = start;
              break;
            }
          }
        }
      }
      return best;
    };

    // 2. Windows: from the cut before a possible match to the cut after its anchor, merged.
    const starts: number[] = [];
    const ends: number[] = [];
    let covered = 0; // units before this index are in a window or hold no match
    let read = 0; // characters the matcher would read: the windows and their separators
    for (let k = 0; k < n; k += 1) {
      const head = units[k]! & 0xff;
      if (
        anchors.single[head] === 0 &&
        (k + 1 === n || anchors.pairs[(head << 8) | (units[k + 1]! & 0xff)] === 0)
      ) {
        continue;
      }
      const at = verify(k, covered);
      if (at < 0) continue;
      let left = at - 1;
      while (left >= covered && !isCut(left)) left -= 1;
      let right = k + 1;
      while (right < n && !isCut(right)) right += 1;
      const start = left >= 0 ? origin[left]! + 1 : 0;
      const end = right < n ? origin[right]! : text.length;
      if (starts.length > 0 && left < covered) {
        read += end - ends[ends.length - 1]!;
        ends[ends.length - 1] = end;
      } else {
        read += end - start + SEPARATOR.length;
        starts.push(start);
        ends.push(end);
      }
      // Text dense with matches ("ass ass ass…"): windows would cost more than the whole text.
      if (read > DENSE * Math.max(DENSE_AFTER, end)) return fullScan(text);
      covered = right + 1;
      k = right;
    }
    if (starts.length === 0) return [];

    // 3. The matcher on the windows; offsets mapped back to `text`.
    if (starts.length === 1 && starts[0] === 0 && ends[0] === text.length) return fullScan(text);
    const pieces: string[] = [];
    const offsets: number[] = [];
    let length = 0;
    for (let w = 0; w < starts.length; w += 1) {
      if (w > 0) {
        pieces.push(SEPARATOR);
        length += SEPARATOR.length;
      }
      offsets.push(length);
      pieces.push(text.slice(starts[w], ends[w]));
      length += ends[w]! - starts[w]!;
    }
    const matches = options.matcher.getAllMatches(pieces.join(''), true);
    let w = 0;
    for (const m of matches) {
      while (w + 1 < offsets.length && offsets[w + 1]! <= m.startIndex) w += 1;
      const shift = starts[w]! - offsets[w]!;
      m.startIndex += shift;
      m.endIndex += shift;
    }
    return matches;
  };
}
