/**
 * Training of the injection classifier (injection-classifier.ts): L2-regularised logistic regression
 * by full-batch gradient descent from zero weights, classes weighted equally, a fixed number of
 * epochs: the same corpus always gives the same weights. Also the stratified k-fold
 * cross-validation that chooses the threshold and reports precision and recall. Pure; the CLI that
 * reads the corpora and writes the JSON is bench/train-injection.ts.
 */
import { BUCKETS, features, probability, type ClassifierModel } from './injection-classifier';

export interface LabelledText {
  id: string;
  text: string;
  injection: boolean;
}

export interface TrainOptions {
  /** @default 400 */
  epochs?: number;
  /** Large: features are scaled to unit length, so each one is small. @default 100 */
  learningRate?: number;
  /** @default 1e-5 */
  l2?: number;
}

const round4 = (n: number): number => Math.round(n * 1e4) / 1e4;

export function train(
  cases: readonly LabelledText[],
  options: TrainOptions = {},
): Omit<ClassifierModel, 'threshold'> {
  const { epochs = 400, learningRate = 100, l2 = 1e-5 } = options;
  const rows = cases.map((c) => ({ ...features(c.text), y: c.injection ? 1 : 0 }));
  const positives = rows.filter((r) => r.y === 1).length;
  const negatives = rows.length - positives;
  // Each class carries half the loss, whatever its size.
  const classWeight = [
    rows.length / (2 * Math.max(1, negatives)),
    rows.length / (2 * Math.max(1, positives)),
  ];
  const weights = new Float64Array(BUCKETS);
  let bias = 0;
  const gradient = new Float64Array(BUCKETS);
  for (let epoch = 0; epoch < epochs; epoch += 1) {
    gradient.fill(0);
    let biasGradient = 0;
    for (const row of rows) {
      let z = bias;
      for (const i of row.index) z += (weights[i] ?? 0) * row.value;
      const error = (1 / (1 + Math.exp(-z)) - row.y) * (classWeight[row.y] ?? 1);
      biasGradient += error;
      for (const i of row.index) gradient[i] = (gradient[i] ?? 0) + error * row.value;
    }
    for (let i = 0; i < BUCKETS; i += 1) {
      const w = weights[i] ?? 0;
      weights[i] = w - learningRate * ((gradient[i] ?? 0) / rows.length + l2 * w);
    }
    bias -= (learningRate * biasGradient) / rows.length;
  }
  return { buckets: BUCKETS, bias: round4(bias), weights: [...weights].map(round4) };
}

/** A stable fold for each case: its id hashed, then dealt round-robin within its class. */
export function folds(cases: readonly LabelledText[], k: number): number[] {
  const order = cases
    .map((c, i) => ({ i, key: hashId(c.id), y: c.injection }))
    .sort((a, b) => a.key - b.key || a.i - b.i);
  const fold = new Array<number>(cases.length).fill(0);
  let pos = 0;
  let neg = 0;
  for (const o of order) fold[o.i] = o.y ? pos++ % k : neg++ % k;
  return fold;
}

function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Each case's probability from a model trained on the other folds. */
export function crossValidate(
  cases: readonly LabelledText[],
  k: number,
  options?: TrainOptions,
): number[] {
  const fold = folds(cases, k);
  const out = new Array<number>(cases.length).fill(0);
  for (let f = 0; f < k; f += 1) {
    const model = {
      ...train(
        cases.filter((_, i) => fold[i] !== f),
        options,
      ),
      threshold: 0.5,
    };
    cases.forEach((c, i) => {
      if (fold[i] === f) out[i] = probability(model, c.text);
    });
  }
  return out;
}

/**
 * The lowest threshold whose false-positive rate on `probabilities` stays at or under `maxFpr`
 * (the most recall for that many false alarms), among the observed probabilities.
 */
export function chooseThreshold(
  cases: readonly LabelledText[],
  probabilities: readonly number[],
  maxFpr: number,
): number {
  const negatives = probabilities.filter((_, i) => !cases[i]?.injection).sort((a, b) => b - a);
  const allowed = Math.floor(maxFpr * negatives.length);
  // Just above the (allowed+1)-th highest benign probability.
  const bar = negatives[allowed] ?? 0;
  return Math.round(Math.min(0.999999, Math.max(0.05, bar + (1 - bar) / 10)) * 1e6) / 1e6;
}
