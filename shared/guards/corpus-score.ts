/**
 * Precision and recall of a PII detector on a labelled corpus (test/fixtures/guards/pii-corpus.json),
 * shared by the unit test that holds the floors and the benchmark that reports them.
 */
import { PII_TYPES, type PiiSpan, type PiiType } from './types';
import { normalisePiiValue } from './pii';

export interface PiiCorpusCase {
  id: string;
  text: string;
  /** Every PII value in `text`, as written there; empty for a negative case. */
  expect: Array<{ type: PiiType; value: string }>;
}

export interface PiiTypeScore {
  tp: number;
  fp: number;
  fn: number;
  /** tp / (tp + fp); 1 when nothing was detected. */
  precision: number;
  /** tp / (tp + fn); 1 when nothing was expected. */
  recall: number;
}

/** Counts, per type, detected values matched one-to-one with expected values of the same case. */
export function scorePii(
  cases: readonly PiiCorpusCase[],
  detect: (text: string) => readonly PiiSpan[],
): Record<PiiType, PiiTypeScore> {
  const counts = Object.fromEntries(PII_TYPES.map((t) => [t, { tp: 0, fp: 0, fn: 0 }])) as Record<
    PiiType,
    { tp: number; fp: number; fn: number }
  >;
  for (const c of cases) {
    const expected = c.expect.map((e) => `${e.type}\u0000${normalisePiiValue(e.type, e.value)}`);
    for (const span of detect(c.text)) {
      const key = `${span.type}\u0000${normalisePiiValue(span.type, span.value)}`;
      const at = expected.indexOf(key);
      if (at >= 0) {
        expected.splice(at, 1);
        counts[span.type].tp += 1;
      } else counts[span.type].fp += 1;
    }
    for (const key of expected) counts[key.slice(0, key.indexOf('\u0000')) as PiiType].fn += 1;
  }
  return Object.fromEntries(
    PII_TYPES.map((t) => {
      const { tp, fp, fn } = counts[t];
      return [
        t,
        {
          tp,
          fp,
          fn,
          precision: tp + fp ? tp / (tp + fp) : 1,
          recall: tp + fn ? tp / (tp + fn) : 1,
        },
      ];
    }),
  ) as Record<PiiType, PiiTypeScore>;
}
