/**
 * The optional statistical layer of prompt-injection screening: logistic regression over hashed
 * word unigrams, word bigrams and in-word character 4-grams of the normalised view (look-alikes
 * folded, accents stripped, lower-cased), so that one model reads the six languages' inflections.
 * Trained inside the repository on test/corpora/injection/train.jsonl (and the generated phrase
 * corpus) by `npm run train:injection`; the weights are the JSON file beside this one.
 *
 * Pure and workflow-safe: no Node built-ins, deterministic. A tenant turns it on with
 * `moderation.injection.classifier: true`; at or above its threshold, its probability then joins the
 * rule signals as one more signal, scaled so that the threshold lands on the score's 0.5.
 */
import { buildView } from './injection-view';
import MODEL from './injection-classifier-weights.json';

/** Number of hash buckets (a power of two): the weight vector's length. */
export const BUCKETS = 1 << 13;
/** Tokens past this many are not read: instructions are short, and the cost stays bounded. */
const MAX_TOKENS = 4000;

export interface ClassifierModel {
  buckets: number;
  bias: number;
  /** One weight per bucket, rounded to 4 decimals. */
  weights: number[];
  /** Probability at and above which a text is called an injection (chosen by cross-validation). */
  threshold: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units of `s[start, end)`, continuing from `h`. */
function fnv(h: number, s: string, start = 0, end = s.length): number {
  for (let i = start; i < end; i += 1) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}
const fold = (h: number): number => (h >>> 0) & (BUCKETS - 1);
const WORD = fnv(FNV_OFFSET, 'w:');
const PAIR = fnv(FNV_OFFSET, 'b:');
const GRAM = fnv(FNV_OFFSET, 'c:');
const SPACE = 0x20;

/**
 * The hashed features of `text`, each present once, with value 1/√n (unit length): `w:token`,
 * `b:previous token`, and `c:` each 4 characters of ` token ` (hashed in place, no substrings).
 */
export function features(text: string): { index: number[]; value: number } {
  const tokens = (
    buildView(text)
      .text.toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  ).slice(0, MAX_TOKENS);
  const seen = new Set<number>();
  let previous = '^';
  for (const token of tokens) {
    seen.add(fold(fnv(WORD, token)));
    seen.add(fold(fnv(Math.imul(fnv(PAIR, previous) ^ SPACE, FNV_PRIME), token)));
    previous = token;
    // The 4-grams of " token ": the padding spaces are code 0x20 at both ends.
    const n = token.length + 2;
    for (let i = 0; i + 4 <= n; i += 1) {
      let h = GRAM;
      for (let k = i; k < i + 4; k += 1) {
        const c = k === 0 || k === n - 1 ? SPACE : token.charCodeAt(k - 1);
        h = Math.imul(h ^ c, FNV_PRIME);
      }
      seen.add(fold(h));
    }
  }
  const index = [...seen];
  return { index, value: index.length > 0 ? 1 / Math.sqrt(index.length) : 0 };
}

export function probability(model: ClassifierModel, text: string): number {
  const { index, value } = features(text);
  let z = model.bias;
  for (const i of index) z += (model.weights[i] ?? 0) * value;
  return 1 / (1 + Math.exp(-z));
}

/**
 * The classifier's signal weight: 0 below the model's threshold (a doubtful model must not tip weak
 * rule signals over: in cross-validation that added false positives), then from 0.5 at the
 * threshold to 1 at certainty, so that alone it flags exactly what the model flags.
 */
export function classifierWeight(p: number, threshold: number): number {
  if (p < threshold) return 0;
  const w = 0.5 + (0.5 * (p - threshold)) / Math.max(1e-9, 1 - threshold);
  return Math.round(Math.min(1, w) * 1000) / 1000;
}

export const INJECTION_MODEL: ClassifierModel = MODEL;
