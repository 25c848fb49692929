/**
 * What obscenity's patterns need a text to contain, for the windowed scan (toxicity-windows.ts):
 * each pattern's expansions (one per choice of its optional parts), an anchor literal that every
 * match contains and where it sits in a match, the pattern as a matcher over UTF-16 units (as
 * obscenity's compiled regular expression reads the transformed text), and a trie of the anchors.
 */
import { SyntaxKind, type BlacklistedTerm, type Node } from 'obscenity';

export const isWordUnit = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x5f;

/** One character that matches anything. */
const WILDCARD: unique symbol = Symbol('wildcard');
type Piece = string | typeof WILDCARD;

/** What a pattern can match, one sequence per choice of its optional parts. */
function expansions(nodes: readonly Node[]): Piece[][] {
  let out: Piece[][] = [[]];
  for (const node of nodes) {
    const literal = (chars: number[]): Piece => String.fromCodePoint(...chars);
    const options: Piece[][] =
      node.kind === SyntaxKind.Literal
        ? [[literal(node.chars)]]
        : node.kind === SyntaxKind.Wildcard
          ? [[WILDCARD]]
          : [
              [],
              [
                node.childNode.kind === SyntaxKind.Literal
                  ? literal(node.childNode.chars)
                  : WILDCARD,
              ],
            ];
    out = out.flatMap((prefix) => options.map((o) => [...prefix, ...o]));
  }
  // Adjacent literals are one run of text.
  return out.map((e) =>
    e.reduce<Piece[]>((acc, p) => {
      const last = acc[acc.length - 1];
      if (p !== WILDCARD && last !== undefined && last !== WILDCARD) acc[acc.length - 1] = last + p;
      else acc.push(p);
      return acc;
    }, []),
  );
}

/**
 * Literals such that every match of the pattern contains one: the longest string common to all its
 * expansions (the rarest letters among equals) if it has two characters or more, else each
 * expansion's longest run.
 */
function anchorsOf(all: Piece[][]): string[] {
  const runs = all.map((e) => e.filter((p): p is string => p !== WILDCARD));
  let best = '';
  for (const run of runs[0] ?? []) {
    for (let i = 0; i < run.length; i += 1) {
      for (let j = run.length; j - i >= best.length && j - i > 0; j -= 1) {
        const s = run.slice(i, j);
        if (s.length === best.length && commonness(s) >= commonness(best)) continue;
        if (runs.every((rs) => rs.some((r) => r.includes(s)))) best = s;
      }
    }
  }
  if (best.length >= 2) return [best];
  return [...new Set(runs.map((rs) => rs.reduce((a, b) => (b.length > a.length ? b : a), '')))];
}

/** English letters from the most to the least frequent: of two anchors, the rarer is hit less. */
const BY_FREQUENCY = 'etaoinshrdlcumwfgypbvkjxqz';
const commonness = (s: string): number =>
  [...s].reduce((sum, ch) => sum + (26 - Math.max(0, BY_FREQUENCY.indexOf(ch))), 0);

/** Where `anchor` can sit in a match: its offsets from the match's start, over all expansions. */
function offsetsOf(all: Piece[][], anchor: string): number[] {
  const offsets = new Set<number>();
  for (const e of all) {
    let at = 0;
    for (const piece of e) {
      if (piece === WILDCARD) {
        at += 1;
        continue;
      }
      for (let i = piece.indexOf(anchor); i >= 0; i = piece.indexOf(anchor, i + 1)) {
        offsets.add(at + i);
      }
      at += piece.length;
    }
  }
  return [...offsets].sort((a, b) => b - a);
}

/** One step of a pattern over UTF-16 units: a literal, or a wildcard (`units` undefined). */
interface Step {
  units?: Uint16Array;
  optional: boolean;
}

/** A pattern as obscenity compiles it to a regular expression (`\b`, literals, `.`; flag `s`). */
export interface Compiled {
  steps: Step[];
  boundaryAtStart: boolean;
  boundaryAtEnd: boolean;
}

const toUnits = (chars: number[]): Uint16Array => {
  const s = String.fromCodePoint(...chars);
  return Uint16Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));
};

function compile(term: BlacklistedTerm): Compiled {
  const steps = term.pattern.nodes.map((n): Step => {
    const inner = n.kind === SyntaxKind.Optional ? n.childNode : n;
    return {
      optional: n.kind === SyntaxKind.Optional,
      ...(inner.kind === SyntaxKind.Literal ? { units: toUnits(inner.chars) } : {}),
    };
  });
  return {
    steps,
    boundaryAtStart: term.pattern.requireWordBoundaryAtStart,
    boundaryAtEnd: term.pattern.requireWordBoundaryAtEnd,
  };
}

/** `\b` as a non-Unicode regular expression reads it: [A-Za-z0-9_] on one side only. */
const boundary = (units: Uint16Array, n: number, at: number): boolean =>
  (at > 0 && isWordUnit(units[at - 1]!)) !== (at < n && isWordUnit(units[at]!));

/** True when the pattern matches `units` starting at `at` (any choice of its optional steps). */
export function matchesAt(p: Compiled, units: Uint16Array, n: number, at: number): boolean {
  return (!p.boundaryAtStart || boundary(units, n, at)) && matchesFrom(p, units, n, 0, at);
}

/** Steps `i…` of the pattern match `units` from `pos`. */
function matchesFrom(p: Compiled, units: Uint16Array, n: number, i: number, pos: number): boolean {
  if (i === p.steps.length) return !p.boundaryAtEnd || boundary(units, n, pos);
  const step = p.steps[i]!;
  let next = -1;
  if (step.units === undefined) next = pos < n ? pos + 1 : -1;
  else if (pos + step.units.length <= n) {
    let j = 0;
    while (j < step.units.length && units[pos + j] === step.units[j]) j += 1;
    if (j === step.units.length) next = pos + j;
  }
  if (next >= 0 && matchesFrom(p, units, n, i + 1, next)) return true;
  return step.optional && matchesFrom(p, units, n, i + 1, pos);
}

/** The anchors in a trie over UTF-16 units: from each position, one walk finds all that start there. */
export class AnchorTrie {
  /** `ascii[node * 128 + unit]`: the child, 0 for none (the root is never a child). */
  private ascii = new Int32Array(128);
  private readonly other = new Map<number, number>();
  /** The patterns whose anchor ends at each node, with where the anchor sits in their matches. */
  readonly patterns: Array<Array<{ pattern: Compiled; offsets: number[] }> | undefined> = [
    undefined,
  ];

  /**
   * A filter on the first two units of every anchor, hashed to their low bytes (a collision only
   * costs a walk); one-unit anchors mark their unit in `single`.
   */
  readonly pairs = new Uint8Array(0x10000);
  readonly single = new Uint8Array(0x100);

  add(anchor: string, pattern: Compiled, offsets: number[]): void {
    if (anchor.length === 1) this.single[anchor.charCodeAt(0) & 0xff] = 1;
    else this.pairs[((anchor.charCodeAt(0) & 0xff) << 8) | (anchor.charCodeAt(1) & 0xff)] = 1;
    let node = 0;
    for (let i = 0; i < anchor.length; i += 1) {
      const unit = anchor.charCodeAt(i);
      let child = this.child(node, unit);
      if (child === 0) {
        child = this.patterns.length;
        this.patterns.push(undefined);
        if (this.ascii.length < this.patterns.length * 128) {
          const grown = new Int32Array(this.ascii.length * 2);
          grown.set(this.ascii);
          this.ascii = grown;
        }
        if (unit < 0x80) this.ascii[node * 128 + unit] = child;
        else this.other.set(node * 0x10000 + unit, child);
      }
      node = child;
    }
    (this.patterns[node] ??= []).push({ pattern, offsets });
  }

  child(node: number, unit: number): number {
    return unit < 0x80
      ? this.ascii[node * 128 + unit]!
      : (this.other.get(node * 0x10000 + unit) ?? 0);
  }
}

/** What the windowed scan needs to know of a set of patterns. */
export interface PatternFacts {
  anchors: AnchorTrie;
  /** UTF-16 units that pattern literals hold. */
  literal: Set<number>;
  /** `before * 0x10000 + after`: the units on either side of a wildcard (`f.ck`: f, c). */
  aroundWildcard: Set<number>;
  /** Literal runs holding a space ("dumb ass"), with the offsets of their spaces. */
  spaced: Array<{ run: string; spaces: number[] }>;
  /** False when some match can start or end with a space: then no space is a cut. */
  spacesCanCut: boolean;
}

/** The offsets of ' ' in `s`. */
export const spacesIn = (s: string): number[] => [...s].flatMap((ch, i) => (ch === ' ' ? [i] : []));

/** Undefined when a wildcard lacks a literal on either side: it could then take any cut. */
export function analysePatterns(terms: readonly BlacklistedTerm[]): PatternFacts | undefined {
  const facts: PatternFacts = {
    anchors: new AnchorTrie(),
    literal: new Set(),
    aroundWildcard: new Set(),
    spaced: [],
    spacesCanCut: true,
  };
  const spaced = new Set<string>();
  for (const term of terms) {
    const all = expansions(term.pattern.nodes);
    for (const e of all) {
      for (let i = 0; i < e.length; i += 1) {
        const piece = e[i]!;
        if (piece !== WILDCARD) {
          for (let k = 0; k < piece.length; k += 1) facts.literal.add(piece.charCodeAt(k));
          if (piece.includes(' ')) spaced.add(piece);
          if ((i === 0 && piece.startsWith(' ')) || (i === e.length - 1 && piece.endsWith(' '))) {
            facts.spacesCanCut = false;
          }
          continue;
        }
        const before = e[i - 1];
        const after = e[i + 1];
        if (before === undefined || before === WILDCARD) return undefined;
        if (after === undefined || after === WILDCARD) return undefined;
        facts.aroundWildcard.add(
          before.charCodeAt(before.length - 1) * 0x10000 + after.charCodeAt(0),
        );
      }
    }
    const compiled = compile(term);
    for (const anchor of anchorsOf(all)) {
      facts.anchors.add(anchor, compiled, offsetsOf(all, anchor));
    }
  }
  facts.spaced = [...spaced].map((run) => ({ run, spaces: spacesIn(run) }));
  return facts;
}
