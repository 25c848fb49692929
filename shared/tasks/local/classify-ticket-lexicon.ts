/**
 * Lexicon-based ticket classifier behind the built-in `local` provider.
 *
 * Weighted terms per category, matched on stemmed word tokens; the score margin between the
 * winner and the runner-up becomes a calibrated confidence. Bundled into Temporal workflow
 * code, so: no imports beyond a sibling pure helper, no clock, no randomness.
 */
import { stemWord } from './summarize-extractive';

export const TICKET_CATEGORIES = ['BILLING', 'TECHNICAL', 'ACCOUNT', 'OTHER'] as const;
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];

export interface TicketInput {
  subject: string;
  body: string;
}

export interface TicketClassification {
  category: TicketCategory;
  confidence: number;
  rationale: string;
}

type Scored = Exclude<TicketCategory, 'OTHER'>;
type Field = 'subject' | 'body';
interface Token {
  raw: string;
  stem: string;
  clause: number;
}
interface Entry {
  category: Scored;
  term: string;
  weight: number;
  stems: string[];
}
interface Hit {
  entry: Entry;
  field: Field;
  weight: number;
}

// Weights: 3 = nearly decisive, 2 = typical, 1 = suggestive. Phrases beat their parts (longest match wins).
// prettier-ignore
const LEXICON: Record<Scored, ReadonlyArray<readonly [string, number]>> = {
  BILLING: [
    ['charged twice', 3], ['double charged', 3], ['overcharged', 3], ['refund', 3], ['invoice', 3], ['billing', 3],
    ['credit card', 3], ['receipt', 3], ['chargeback', 3], ['payment failed', 3], ['card declined', 3],
    ['money back', 3], ['cancel my subscription', 3], ['plan cost', 3], ['charge', 2], ['payment', 2],
    ['subscription', 2], ['renewal', 2], ['renew', 2], ['price', 2], ['pricing', 2], ['paid', 2], ['pay', 2],
    ['debit card', 2], ['bank statement', 2], ['vat', 2], ['tax', 2], ['discount', 2], ['coupon', 2],
    ['promo code', 2], ['fee', 2], ['transaction', 2], ['downgrade', 2], ['cost', 2], ['trial', 1], ['plan', 1],
    ['card', 1], ['upgrade', 1], ['annual', 1], ['monthly', 1], ['purchase', 1], ['expensive', 1], ['amount', 1],
  ],
  TECHNICAL: [
    ['login page doesn\'t load', 3], ['not working', 3], ['doesn\'t work', 3], ['does not work', 3],
    ['stopped working', 3], ['doesn\'t load', 3], ['won\'t load', 3], ['not loading', 3], ['fails to load', 3],
    ['error', 3], ['crash', 3], ['bug', 3], ['broken', 3], ['500', 3], ['502', 3], ['503', 3], ['404', 3],
    ['timeout', 3], ['timed out', 3], ['exception', 3], ['stack trace', 3], ['outage', 3], ['api', 3],
    ['blank page', 3], ['white screen', 3], ['webhook', 3], ['sdk', 3], ['slow', 2], ['install', 2],
    ['installation', 2], ['freeze', 2], ['frozen', 2], ['hang', 2], ['glitch', 2], ['sync', 2], ['upload', 2],
    ['download', 2], ['export', 2], ['import', 2], ['integration', 2], ['latency', 2], ['performance', 2],
    ['server', 2], ['endpoint', 2], ['database', 2], ['fail', 2], ['won\'t open', 2], ['down', 1], ['load', 1],
    ['update', 1], ['browser', 1], ['ios', 1], ['android', 1], ['chrome', 1], ['version', 1],
  ],
  ACCOUNT: [
    ['password', 3], ['locked out', 3], ['2fa', 3], ['two factor', 3], ['mfa', 3], ['authenticator', 3],
    ['delete my account', 3], ['close my account', 3], ['deactivate', 3], ['username', 3], ['can\'t log in', 3],
    ['cannot log in', 3], ['unable to log in', 3], ['can\'t sign in', 3], ['cannot sign in', 3],
    ['can\'t login', 3], ['cannot login', 3], ['change my email', 3], ['email change', 3], ['change email', 3], ['verification code', 3], ['sso', 3],
    ['sign in', 2], ['log in', 2], ['login', 2], ['profile', 2], ['reset', 2], ['access', 2], ['permission', 2],
    ['admin', 2], ['invite', 2], ['email address', 2], ['verify', 2], ['hacked', 2], ['compromised', 2],
    ['sign up', 2], ['register', 2], ['unlock', 2], ['transfer ownership', 2], ['gdpr', 2], ['personal data', 2],
    ['account', 1], ['email', 1], ['locked', 1], ['logged out', 1], ['user', 1], ['role', 1], ['security', 1],
  ],
};

const SUBJECT_MULTIPLIER = 1.5;
/** Repeats of one term add less each time (1, 1/2, 1/4...): one word typed five times is not five facts. */
const REPEAT_DECAY = 0.5;
/** Evidence needed for half the possible confidence lift; small totals stay near a coin flip. */
const EVIDENCE_HALF = 1.5;
const NO_EVIDENCE_CONFIDENCE = 0.45;
const MAX_CONFIDENCE = 0.97;
const MAX_RATIONALE_TERMS = 4;
const MAX_RATIONALE_CHARS = 299;

// "not a billing question": negators that deny a topic. Auxiliary forms ("don't", "can't") are
// deliberately absent: "can't log in" or "didn't get my refund" describe the problem itself.
const NEGATORS = new Set("not no never without nor isn't wasn't aren't weren't".split(' '));
/** Words allowed between a negator and the term: "not really about my password". */
const FILLERS = new Set(
  'a an the any my our your this that really actually just related to about'.split(' '),
);
/** Apostrophe-less spellings people type, mapped to the forms used in the lexicon. */
const CONTRACTIONS = new Map(
  ['dont', 'doesnt', 'didnt', 'cant', 'wont', 'isnt', 'wasnt', 'arent'].map((w) => [
    w,
    `${w.slice(0, -1)}'t`,
  ]),
);
const EMAIL_OR_URL = /\S+@\S+|\bhttps?:\/\/\S+|\bwww\.\S+/g;

/** Lowercased, stemmed word tokens; punctuation only advances the clause counter. */
function tokenize(text: string): Token[] {
  const cleaned = text.toLowerCase().replace(/[‘’`]/g, "'").replace(EMAIL_OR_URL, ' . ');
  const tokens: Token[] = [];
  let clause = 0;
  for (const m of cleaned.matchAll(/[a-z0-9]+(?:'[a-z]+)?|[.,;:!?()\n]/g)) {
    const word = m[0];
    if (!/[a-z0-9]/.test(word)) {
      clause++;
      continue;
    }
    const raw = CONTRACTIONS.get(word) ?? word;
    tokens.push({ raw, stem: stemWord(raw), clause });
  }
  return tokens;
}

/** All entries, longest phrase first, so "charged twice" claims its tokens before "charge". */
const ENTRIES: Entry[] = (Object.keys(LEXICON) as Scored[])
  .flatMap((category) =>
    LEXICON[category].map(([term, weight]) => ({
      category,
      term,
      weight,
      stems: tokenize(term).map((t) => t.stem),
    })),
  )
  .sort((a, b) => b.stems.length - a.stems.length || b.weight - a.weight);

function isNegated(tokens: Token[], start: number): boolean {
  const clause = tokens[start]?.clause;
  let skipped = 0;
  for (let i = start - 1; i >= 0; i--) {
    const t = tokens[i];
    if (t === undefined || t.clause !== clause) return false;
    if (NEGATORS.has(t.raw))
      return !(t.raw === 'not' && /^(?:can|could|do|does|did)$/.test(tokens[i - 1]?.raw ?? ''));
    if (!FILLERS.has(t.raw) || ++skipped > 2) return false;
  }
  return false;
}

function findHits(text: string, field: Field, negated: Set<string>): Hit[] {
  const tokens = tokenize(text);
  const used = tokens.map(() => false);
  const hits: Hit[] = [];
  const multiplier = field === 'subject' ? SUBJECT_MULTIPLIER : 1;
  for (const entry of ENTRIES) {
    const n = entry.stems.length;
    for (let i = 0; i + n <= tokens.length; i++) {
      const span = tokens.slice(i, i + n);
      const matches = span.every(
        (t, k) => t.stem === entry.stems[k] && t.clause === span[0]?.clause && !used[i + k],
      );
      if (!matches) continue;
      for (let k = i; k < i + n; k++) used[k] = true;
      if (isNegated(tokens, i)) negated.add(entry.term);
      else hits.push({ entry, field, weight: entry.weight * multiplier });
    }
  }
  return hits;
}

/** Per-term evidence, strongest first. Subject hits arrive first, so they take the undecayed share. */
function tally(hits: Hit[]): TermEvidence[] {
  const byTerm = new Map<Entry, TermEvidence>();
  for (const h of hits) {
    const t = byTerm.get(h.entry) ?? { entry: h.entry, fields: [], hits: 0, score: 0 };
    if (!t.fields.includes(h.field)) t.fields.push(h.field);
    t.score += h.weight * REPEAT_DECAY ** t.hits++;
    byTerm.set(h.entry, t);
  }
  return [...byTerm.values()].sort((a, b) => b.score - a.score); // stable: ties keep first-seen order
}

const quoted = (terms: string[]): string => terms.map((t) => `"${t}"`).join(', ');

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function clip(text: string): string {
  return text.length <= MAX_RATIONALE_CHARS ? text : `${text.slice(0, MAX_RATIONALE_CHARS - 1)}…`;
}

export function classifyTicketLexicon(input: TicketInput): TicketClassification {
  const negated = new Set<string>();
  const terms = tally([
    ...findHits(input.subject, 'subject', negated),
    ...findHits(input.body, 'body', negated),
  ]);
  const scores: Array<[Scored, number]> = (['BILLING', 'TECHNICAL', 'ACCOUNT'] as const).map(
    (c) => [c, terms.filter((t) => t.entry.category === c).reduce((sum, t) => sum + t.score, 0)],
  );
  // Stable sort: exact ties fall back to the fixed category order.
  scores.sort((a, b) => b[1] - a[1]);
  const [winner, top] = scores[0] ?? ['BILLING', 0];
  const [runnerUp, second] = scores[1] ?? ['TECHNICAL', 0];
  const total = scores.reduce((sum, [, s]) => sum + s, 0);
  const ignored = negated.size > 0 ? ` Ignored negated: ${quoted([...negated].slice(0, 3))}.` : '';

  if (total === 0) {
    return {
      category: 'OTHER',
      confidence: NO_EVIDENCE_CONFIDENCE,
      rationale: clip(
        `OTHER: no category-specific evidence found (no billing, technical or account terms matched).${ignored}`,
      ),
    };
  }

  // Two-way softmax between winner and runner-up. The temperature grows with total evidence, so
  // the same margin means less when both sides have a lot (mixed tickets stay uncertain)...
  const temperature = 1 + 0.25 * total;
  const pTop = 1 / (1 + Math.exp(-(top - second) / temperature));
  // ...and the lift above 0.5 shrinks when there is little evidence at all (one weak hit ~0.58).
  const strength = total / (total + EVIDENCE_HALF);
  const confidence = round(Math.min(MAX_CONFIDENCE, 0.5 + (pTop - 0.5) * strength), 2);

  const mine = terms.filter((t) => t.entry.category === winner);
  const listed = mine
    .slice(0, MAX_RATIONALE_TERMS)
    .map((t) => `"${t.entry.term}" (${t.fields.join('+')})`);
  if (mine.length > MAX_RATIONALE_TERMS) listed.push(`+${mine.length - MAX_RATIONALE_TERMS} more`);
  const rival =
    second > 0
      ? `runner-up ${runnerUp} (${round(second, 1)} vs ${round(top, 1)})`
      : 'no competing category evidence';
  return {
    category: winner,
    confidence,
    rationale: clip(`${winner}: matched ${listed.join(', ')}; ${rival}.${ignored}`),
  };
}
