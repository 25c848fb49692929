/**
 * Prompt-injection screening as a pure function of text: phrase rules for the three intents
 * (override the instructions, extract the system prompt, role-play out of the rules) run on a
 * normalised rendition of the text, in which look-alike letters are folded to Latin, invisible
 * characters are dropped and HTML entities / %xx escapes are decoded. Base64 and hex blobs,
 * Unicode tag characters and right-to-left overrides are decoded and scanned again. A phrase found
 * only thanks to that normalisation is itself evidence: nobody hides an innocent sentence.
 *
 * Every rule is a bounded regular expression (no nested unbounded quantifiers), so a scan is linear
 * in the text. Score = 1 - Π(1 - weight) over the signals, capped at 1; 0.5 and above is an attempt.
 * Workflow-safe: no Node built-ins, no Buffer, no TextDecoder.
 *
 * Here: running the rules and scoring. The rules themselves are in injection-rules.ts, the
 * normalised view in injection-view.ts, blob decoding in injection-decode.ts.
 */
import {
  classifierWeight,
  INJECTION_MODEL,
  probability,
  type ClassifierModel,
} from './injection-classifier';
import { blobRuns, decodeBlob } from './injection-decode';
import { SPECS, type RuleSpec } from './injection-rules';
import { structuralHits } from './injection-structure';
import {
  buildView,
  ENCODED,
  flagged,
  HIDDEN,
  isAsciiLetter,
  isHidden,
  LOOKALIKE,
  mixedScriptWords,
  origin,
  type HiddenNotes,
} from './injection-view';
import type { InjectionKind, InjectionScan, InjectionSignal } from './types';

/** Decoded text is scanned again at most this deep (base64 of %-escapes is depth 2). */
const MAX_DEPTH = 2;
/** Weight of a phrase that only matched after folding look-alikes or dropping invisible characters. */
const OBFUSCATED_PHRASE = 0.75;
/** Weight of a base64 / hex / tag / reversed run whose decoded text holds an instruction. */
const DECODED_INSTRUCTION = 0.85;

// --- phrase rules (the table is in injection-rules.ts) --------------------------------------------

interface Rule extends Omit<RuleSpec, 're'> {
  re: RegExp;
}
/** Anchored rules are sticky (tried at one position); the others scan the whole text. */
const RULES: Rule[] = SPECS.map((s) => ({ ...s, re: new RegExp(s.re, s.at ? 'y' : 'g') }));
const FLOATING = RULES.filter((r) => !r.at);
const ANCHORS = [...new Set(RULES.flatMap((r) => r.at?.split(' ') ?? []))].sort(
  (a, b) => b.length - a.length,
);
const ANCHOR_RE = new RegExp(String.raw`\b(?:${ANCHORS.join('|')})`, 'g');
/** Rules to try where a word starts with `anchor` (longer anchors include the shorter ones). */
const RULES_AT = new Map(
  ANCHORS.map((anchor) => [
    anchor,
    RULES.filter((r) => r.at?.split(' ').some((a) => anchor.startsWith(a))),
  ]),
);

const NEGATED =
  /(?:\b(?:don['’]?t|do\s+not|never|not|didn['’]?t|won['’]?t|cannot|can['’]?t|shouldn['’]?t|must\s+not|ne|nicht|no)\s+|\bn['’])$/;
const ADDRESSED = /\b(?:you|u)\s+to\s+$/;
const NARRATED = [
  /\b(?:model|llm|chatbot|assistant|ai|bot|agent|system|it|them|models|llms|chatbots|assistants|agents)\s+(?:to\s+|into\s+)?$/,
  /\b(?:tries|try|trying|attempts?|attempting|designed|meant|intended|tricks?|tricked|causes?|forces?|forcing|convinces?|convinced|persuades?|persuaded)\s+(?:\S+\s+){0,3}?(?:to|into)\s+$/,
];

interface Hit {
  kind: InjectionKind;
  start: number;
  end: number;
  weight: number;
}

function weighHit(rule: Rule, m: RegExpExecArray, text: string, cased: string): Hit | undefined {
  const result = typeof rule.weigh === 'number' ? rule.weigh : rule.weigh(m, text, cased);
  let weight = typeof result === 'number' ? result : result.weight;
  const start = typeof result === 'number' ? m.index : result.start;
  if (rule.imperative && weight > 0) {
    const before = text.slice(Math.max(0, m.index - 48), m.index);
    if (NEGATED.test(before)) weight = 0;
    else if (!ADDRESSED.test(before) && NARRATED.some((re) => re.test(before))) weight *= 0.3;
  }
  return weight > 0 ? { kind: rule.kind, start, end: m.index + m[0].length, weight } : undefined;
}

function findPhrases(cased: string): Hit[] {
  const lower = cased.toLowerCase();
  // toLowerCase keeps UTF-16 offsets except for a few letters (İ); fall back to ASCII-only then.
  const text =
    lower.length === cased.length ? lower : cased.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  const hits: Hit[] = [];
  const add = (rule: Rule, m: RegExpExecArray | null): void => {
    const hit = m && weighHit(rule, m, text, cased);
    if (hit) hits.push(hit);
  };
  for (const anchor of text.matchAll(ANCHOR_RE)) {
    for (const rule of RULES_AT.get(anchor[0]) ?? []) {
      rule.re.lastIndex = anchor.index;
      add(rule, rule.re.exec(text));
    }
  }
  for (const rule of FLOATING) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m; m = rule.re.exec(text)) add(rule, m);
  }
  hits.push(...structuralHits(text, cased));
  return hits;
}

// --- scan -----------------------------------------------------------------------------------------

const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/;
const TEXT_KINDS = new Set<InjectionKind>([
  'ignore-instructions',
  'addressed-to-model',
  'spoofed-delimiter',
  'secret-request',
  'exfiltration',
  'system-prompt-extraction',
  'role-play',
  'encoded-payload',
]);

/** Scans `decoded` (which came from input[start, end)) and reports what it holds at that span. */
function rescan(
  decoded: string,
  start: number,
  end: number,
  depth: number,
  kind: InjectionKind,
  base: number,
): InjectionSignal[] {
  const inner = (depth < MAX_DEPTH ? scan(decoded, depth + 1) : []).filter(
    (s) => TEXT_KINDS.has(s.kind) && s.weight >= 0.3,
  );
  const signals: InjectionSignal[] = inner.map((s) => ({
    kind: s.kind,
    start,
    end,
    weight: s.weight,
  }));
  const weight = inner.length > 0 ? DECODED_INSTRUCTION : base;
  if (weight > 0) signals.push({ kind, start, end, weight });
  return signals;
}

function scan(input: string, depth: number): InjectionSignal[] {
  const view = buildView(input);
  const signals: InjectionSignal[] = [];
  for (const hit of findPhrases(view.text)) {
    const [start, end] = origin(view, hit.start, hit.end);
    signals.push({ kind: hit.kind, start, end, weight: hit.weight });
    if (hit.weight < 0.3) continue;
    if (flagged(view, hit.start, hit.end, LOOKALIKE)) {
      signals.push({ kind: 'look-alike-characters', start, end, weight: OBFUSCATED_PHRASE });
    }
    if (flagged(view, hit.start, hit.end, HIDDEN)) {
      signals.push({ kind: 'invisible-characters', start, end, weight: OBFUSCATED_PHRASE });
    }
    if (flagged(view, hit.start, hit.end, ENCODED)) {
      signals.push({ kind: 'encoded-payload', start, end, weight: DECODED_INSTRUCTION });
    }
  }
  // Words mixing Latin with Cyrillic/Greek look-alikes ("pаypal"): weak alone, common in attacks.
  if (view.lookalikes > 0 && view.flags)
    signals.push(...mixedScriptWords(view, view.flags, MAX_WEAK));
  signals.push(...hiddenSignals(input, view.hidden, depth));
  if (depth < MAX_DEPTH) {
    for (const [start, end] of blobRuns(input)) {
      const decoded = decodeBlob(input.slice(start, end));
      if (decoded !== undefined) {
        signals.push(...rescan(decoded, start, end, depth, 'encoded-payload', 0));
      }
    }
  }
  return signals;
}

/** At most this many weak signals (or hidden runs rescanned) of one kind: the score saturates. */
const MAX_WEAK = 12;
/** Right-to-left override spans longer than this are not reversed and rescanned. */
const MAX_REVERSED = 2000;

function hiddenSignals(input: string, notes: HiddenNotes, depth: number): InjectionSignal[] {
  const signals: InjectionSignal[] = [];
  let wordEnd = -1;
  for (const i of notes.inWords) {
    if (i < wordEnd) continue;
    if (signals.length >= MAX_WEAK) break;
    let start = i;
    while (start > 0 && isAsciiLetter(input.charCodeAt(start - 1))) start -= 1;
    wordEnd = i;
    const inWord = (c: number): boolean => isAsciiLetter(c) || isHidden(c);
    while (wordEnd < input.length && inWord(input.charCodeAt(wordEnd))) wordEnd += 1;
    signals.push({ kind: 'invisible-characters', start, end: wordEnd, weight: 0.1 });
  }
  for (const run of notes.tagRuns.slice(0, MAX_WEAK)) {
    const smuggled = [...input.slice(run.start, run.end)]
      .map((c) => (c.codePointAt(0) ?? 0) - 0xe0000)
      .filter((c) => c >= 0x20 && c < 0x7f)
      .map((c) => String.fromCharCode(c))
      .join('');
    // Subdivision flags (🏴 + tags + cancel tag) are the one legitimate use of tag characters.
    const flag = input.codePointAt(run.start - 2) === 0x1f3f4 && /^[a-z0-9]{2,7}$/.test(smuggled);
    if (flag) continue;
    signals.push(...rescan(smuggled, run.start, run.end, depth, 'invisible-characters', 0.6));
  }
  const rtl = notes.overrides.length > 0 || notes.otherBidi > 0 ? RTL.test(input) : true;
  for (const at of notes.overrides.slice(0, MAX_WEAK)) {
    // Reversed display runs to the closing PDF / PDI or the end of the line.
    const window = input.slice(at + 1, at + 1 + MAX_REVERSED);
    const close = window.search(/[\u202a-\u202e\u2066-\u2069\n]/);
    const end = at + 1 + (close < 0 ? window.length : close);
    const logical = [...input.slice(at + 1, end)].reverse().join('');
    const base = rtl ? 0.1 : 0.3;
    signals.push(...rescan(logical, at, end, depth, 'invisible-characters', base));
  }
  if (notes.otherBidi > 0 && !rtl) {
    const at = input.search(/[\u202a-\u202c\u2066-\u2069]/);
    signals.push({ kind: 'invisible-characters', start: at, end: at + 1, weight: 0.15 });
  }
  return signals;
}

/** Same-kind signals over overlapping spans are one piece of evidence: keep the strongest. */
function dedupe(signals: InjectionSignal[]): InjectionSignal[] {
  const sorted = [...signals].sort((a, b) => a.start - b.start || b.weight - a.weight);
  const kept: InjectionSignal[] = [];
  const open = new Map<InjectionKind, { best: InjectionSignal; end: number }>();
  for (const s of sorted) {
    const cluster = open.get(s.kind);
    if (cluster && s.start < cluster.end) {
      cluster.end = Math.max(cluster.end, s.end);
      if (s.weight > cluster.best.weight) cluster.best = s;
      continue;
    }
    if (cluster) kept.push(cluster.best);
    open.set(s.kind, { best: s, end: s.end });
  }
  for (const cluster of open.values()) kept.push(cluster.best);
  return kept.sort((a, b) => a.start - b.start || b.weight - a.weight);
}

export interface InjectionOptions {
  /**
   * The statistical layer: `true` for the shipped model, or a model of one's own (training,
   * cross-validation). Its probability joins the signals as one more. @default false
   */
  classifier?: boolean | ClassifierModel;
}

export function detectInjection(text: string, options: InjectionOptions = {}): InjectionScan {
  const signals = dedupe(scan(text, 0));
  const model = options.classifier === true ? INJECTION_MODEL : options.classifier || undefined;
  if (model && text.length > 0) {
    const weight = classifierWeight(probability(model, text), model.threshold);
    if (weight > 0) signals.push({ kind: 'classifier', start: 0, end: text.length, weight });
  }
  const clean = signals.reduce((p, s) => p * (1 - s.weight), 1);
  return { score: Math.min(1, Math.round((1 - clean) * 1000) / 1000), signals };
}
