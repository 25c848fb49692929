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

const SCORED = ['BILLING', 'TECHNICAL', 'ACCOUNT'] as const;
const FIELDS = ['subject', 'body'] as const;
type Scored = (typeof SCORED)[number];
type Field = (typeof FIELDS)[number];
type Token = { raw: string; stem: string; clause: number };
type Entry = { category: Scored; term: string; weight: number; stems: string[] };
type Hit = { entry: Entry; field: Field; weight: number };
type Evidence = { entry: Entry; fields: Field[]; hits: number; score: number };

// Weight 3 = nearly decisive, 2 = typical, 1 = suggestive. Generic words that show up in every
// kind of ticket ("issue", "problem", "app") are left out on purpose.
// prettier-ignore
const LEXICON: Record<Scored, Record<1 | 2 | 3, string[]>> = {
  BILLING: {
    3: ['charged twice', 'double charged', 'overcharged', 'refund', 'invoice', 'billing', 'credit card', 'receipt',
      'chargeback', 'payment failed', 'card declined', 'money back', 'cancel my subscription', 'plan cost'],
    2: ['charge', 'payment', 'subscription', 'renewal', 'renew', 'price', 'pricing', 'paid', 'pay', 'debit card',
      'bank statement', 'vat', 'tax', 'discount', 'coupon', 'promo code', 'fee', 'transaction', 'downgrade', 'cost'],
    1: ['trial', 'plan', 'card', 'upgrade', 'annual', 'monthly', 'purchase', 'expensive', 'amount'],
  },
  TECHNICAL: {
    3: ["login page doesn't load", 'not working', "doesn't work", 'does not work', 'stopped working',
      "doesn't load", "won't load", 'not loading', 'fails to load', 'error', 'crash', 'bug', 'broken', '500', '502',
      '503', '404', 'timeout', 'timed out', 'exception', 'stack trace', 'outage', 'api', 'blank page',
      'white screen', 'webhook', 'sdk'],
    2: ['slow', 'install', 'installation', 'freeze', 'frozen', 'hang', 'glitch', 'sync', 'upload', 'download',
      'export', 'import', 'integration', 'latency', 'performance', 'server', 'endpoint', 'database', 'fail',
      "won't open"],
    1: ['down', 'load', 'update', 'browser', 'ios', 'android', 'chrome', 'version'],
  },
  ACCOUNT: {
    3: ['password', 'locked out', '2fa', 'two factor', 'mfa', 'authenticator', 'delete my account',
      'close my account', 'deactivate', 'username', "can't log in", 'cannot log in', 'unable to log in',
      "can't sign in", 'cannot sign in', "can't login", 'cannot login', 'change my email', 'email change',
      'change email', 'verification code', 'sso'],
    2: ['sign in', 'log in', 'login', 'profile', 'reset', 'access', 'permission', 'admin', 'invite',
      'email address', 'verify', 'hacked', 'compromised', 'sign up', 'register', 'unlock', 'transfer ownership',
      'gdpr', 'personal data'],
    1: ['account', 'email', 'locked', 'logged out', 'user', 'role', 'security'],
  },
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
  'a an the any my our your this that really just related to about'.split(' '),
);
/** Apostrophe-less spellings people type ("doesnt"), mapped to the lexicon's forms. */
const CONTRACTIONS = new Map(
  'dont doesnt didnt cant wont isnt wasnt arent'.split(' ').map((w) => [w, `${w.slice(0, -1)}'t`]),
);
/** Stripped before matching: they carry PII and could contain lexicon words ("billing@acme.com"). */
const EMAIL_OR_URL = /\S+@\S+|\bhttps?:\/\/\S+|\bwww\.\S+/g;

/** Lowercased, stemmed word tokens; punctuation only advances the clause counter. */
function tokenize(text: string): Token[] {
  const cleaned = text.toLowerCase().replace(/[‘’`]/g, "'").replace(EMAIL_OR_URL, ' . ');
  const tokens: Token[] = [];
  let clause = 0;
  for (const [word] of cleaned.matchAll(/[a-z0-9]+(?:'[a-z]+)?|[.,;:!?()\n]/g)) {
    const raw = CONTRACTIONS.get(word) ?? word;
    if (/^[a-z0-9]/.test(raw)) tokens.push({ raw, stem: stemWord(raw), clause });
    else clause++;
  }
  return tokens;
}

/** All entries, longest phrase first, so "charged twice" claims its tokens before "charge". */
const ENTRIES: Entry[] = [];
for (const category of SCORED) {
  for (const weight of [3, 2, 1] as const) {
    for (const term of LEXICON[category][weight]) {
      ENTRIES.push({ category, term, weight, stems: tokenize(term).map((t) => t.stem) });
    }
  }
}
ENTRIES.sort((a, b) => b.stems.length - a.stems.length || b.weight - a.weight);

function isNegated(tokens: Token[], start: number): boolean {
  const clause = tokens[start]?.clause;
  let skipped = 0;
  for (let i = start - 1; i >= 0; i--) {
    const t = tokens[i];
    if (t === undefined || t.clause !== clause) return false;
    // "can not log in" is a complaint, not a denial.
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
      const clause = span[0]?.clause;
      if (!span.every((t, k) => t.stem === entry.stems[k] && t.clause === clause && !used[i + k]))
        continue;
      for (let k = i; k < i + n; k++) used[k] = true;
      if (isNegated(tokens, i)) negated.add(entry.term);
      else hits.push({ entry, field, weight: entry.weight * multiplier });
    }
  }
  return hits;
}

/** Per-term evidence, strongest first. Subject hits arrive first, so they take the undecayed share. */
function tally(hits: Hit[]): Evidence[] {
  const byTerm = new Map<Entry, Evidence>();
  for (const h of hits) {
    const e = byTerm.get(h.entry) ?? { entry: h.entry, fields: [], hits: 0, score: 0 };
    if (!e.fields.includes(h.field)) e.fields.push(h.field);
    e.score += h.weight * REPEAT_DECAY ** e.hits++;
    byTerm.set(h.entry, e);
  }
  return [...byTerm.values()].sort((a, b) => b.score - a.score); // stable: ties keep first-seen order
}

const quoted = (terms: string[]): string => terms.map((t) => `"${t}"`).join(', ');
const clip = (text: string): string =>
  text.length <= MAX_RATIONALE_CHARS ? text : `${text.slice(0, MAX_RATIONALE_CHARS - 1)}…`;

export function classifyTicketLexicon(input: TicketInput): TicketClassification {
  const negated = new Set<string>();
  const evidence = tally(FIELDS.flatMap((field) => findHits(input[field], field, negated)));
  const ofCategory = (c: Scored): Evidence[] => evidence.filter((e) => e.entry.category === c);
  const scoreOf = (c: Scored): number => ofCategory(c).reduce((sum, e) => sum + e.score, 0);
  const scores = SCORED.map((c): [Scored, number] => [c, scoreOf(c)]);
  scores.sort((a, b) => b[1] - a[1]); // stable: exact ties fall back to the fixed category order
  const [winner, top] = scores[0] ?? ['BILLING', 0];
  const [runnerUp, second] = scores[1] ?? ['TECHNICAL', 0];
  const total = scores.reduce((sum, [, s]) => sum + s, 0);
  const ignored = negated.size > 0 ? ` Ignored negated: ${quoted([...negated].slice(0, 3))}.` : '';

  if (total === 0) {
    const rationale = `OTHER: no category-specific evidence found (no billing, technical or account terms matched).${ignored}`;
    return { category: 'OTHER', confidence: NO_EVIDENCE_CONFIDENCE, rationale: clip(rationale) };
  }

  // Two-way softmax between winner and runner-up. The temperature grows with total evidence, so
  // the same margin means less when both sides have a lot (mixed tickets stay uncertain)...
  const temperature = 1 + 0.25 * total;
  const pTop = 1 / (1 + Math.exp(-(top - second) / temperature));
  // ...and the lift above 0.5 shrinks when there is little evidence at all (one weak hit ~0.58).
  const lift = (pTop - 0.5) * (total / (total + EVIDENCE_HALF));
  const confidence = Math.round(Math.min(MAX_CONFIDENCE, 0.5 + lift) * 100) / 100;

  const mine = ofCategory(winner);
  const describe = (e: Evidence): string => `"${e.entry.term}" (${e.fields.join('+')})`;
  const listed = mine.slice(0, MAX_RATIONALE_TERMS).map(describe);
  if (mine.length > MAX_RATIONALE_TERMS) listed.push(`+${mine.length - MAX_RATIONALE_TERMS} more`);
  const rival =
    second > 0
      ? `runner-up ${runnerUp} (${second.toFixed(1)} vs ${top.toFixed(1)})`
      : 'no competing category evidence';
  const rationale = clip(`${winner}: matched ${listed.join(', ')}; ${rival}.${ignored}`);
  return { category: winner, confidence, rationale };
}
