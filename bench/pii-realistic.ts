/**
 * `npm run bench:pii`: precision and recall of the PII detectors on the realistic corpus
 * (test/corpora/pii-realistic), per type and per language with the number of cases, and each
 * detector's time per 10 KB. Reports the held-out set, holdout-3, unless `--set <name>` names another
 * file there (`tune`, `holdout` and `holdout-2`, tuning data since holdout-3 was written); each case
 * is scanned with its own region and language, as a tenant's policy would give them.
 *
 * A detected span counts as found when it is of the expected type and covers at least 80 % of the
 * expected value while being at most twice its length (names without their title, addresses with
 * or without a flat). Writes bench/results/pii-realistic-<set>.json.
 */
import { detectPii } from '../shared/guards/pii';
import { PII_TYPES, type PiiSpan, type PiiType } from '../shared/guards/types';
import {
  loadCorpus,
  medianMs,
  ratio,
  setArgument,
  tenKilobytes,
  writeResult,
} from './lib/corpus-bench';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 40);

interface Case {
  id: string;
  lang: string;
  region: string;
  text: string;
  expect: Array<{ type: PiiType; value: string }>;
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
  cases: number;
}

/** The expected values' offsets in the text, each occurrence taken once. */
function expectedSpans(c: Case): Array<{ type: PiiType; start: number; end: number }> {
  const used = new Set<number>();
  return c.expect.map((e) => {
    let at = c.text.indexOf(e.value);
    while (used.has(at)) at = c.text.indexOf(e.value, at + 1);
    used.add(at);
    return { type: e.type, start: at, end: at + e.value.length };
  });
}

const covers = (got: PiiSpan, want: { start: number; end: number }): boolean => {
  const overlap = Math.min(got.end, want.end) - Math.max(got.start, want.start);
  const length = want.end - want.start;
  return overlap >= 0.8 * length && got.end - got.start <= 2 * length;
};

export function score(cases: readonly Case[]): {
  byType: Record<string, Counts>;
  byTypeLang: Record<string, Counts>;
  misses: string[];
} {
  const byType: Record<string, Counts> = {};
  const byTypeLang: Record<string, Counts> = {};
  const misses: string[] = [];
  const bump = (key: string, table: Record<string, Counts>, field: keyof Counts): void => {
    table[key] ??= { tp: 0, fp: 0, fn: 0, cases: 0 };
    table[key][field] += 1;
  };
  for (const c of cases) {
    const found = detectPii(c.text, { region: c.region, language: c.lang });
    const want = expectedSpans(c);
    const matched = new Set<number>();
    for (const s of found) {
      const i = want.findIndex((w, j) => !matched.has(j) && w.type === s.type && covers(s, w));
      const field = i >= 0 ? 'tp' : 'fp';
      if (i >= 0) matched.add(i);
      else misses.push(`${c.id} FP ${s.type}: ${JSON.stringify(s.value)}`);
      bump(s.type, byType, field);
      bump(`${s.type} ${c.lang}`, byTypeLang, field);
    }
    want.forEach((w, j) => {
      if (matched.has(j)) return;
      misses.push(`${c.id} FN ${w.type}: ${JSON.stringify(c.text.slice(w.start, w.end))}`);
      bump(w.type, byType, 'fn');
      bump(`${w.type} ${c.lang}`, byTypeLang, 'fn');
    });
    for (const type of new Set(c.expect.map((e) => e.type))) {
      bump(type, byType, 'cases');
      bump(`${type} ${c.lang}`, byTypeLang, 'cases');
    }
  }
  return { byType, byTypeLang, misses };
}

function table(rows: Record<string, Counts>): string[] {
  const out = [
    '| type | cases | TP | FP | FN | precision | recall |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [key, r] of Object.entries(rows).sort(([a], [b]) => a.localeCompare(b))) {
    out.push(
      `| ${key} | ${r.cases} | ${r.tp} | ${r.fp} | ${r.fn} | ${ratio(r.tp, r.tp + r.fp)} | ${ratio(r.tp, r.tp + r.fn)} |`,
    );
  }
  return out;
}

/** Median ms of one detector on a 10 KB text stitched from the corpus. */
function timing(cases: readonly Case[]): Record<PiiType, number> {
  const text = tenKilobytes(cases.map((c) => c.text));
  return Object.fromEntries(
    PII_TYPES.map((type) => [
      type,
      medianMs(() => detectPii(text, { types: [type], region: 'GB', language: 'en' }), ITERATIONS),
    ]),
  ) as Record<PiiType, number>;
}

function main(): void {
  const set = setArgument('holdout-3');
  const cases = loadCorpus<Case>('pii-realistic', set);
  const { byType, byTypeLang, misses } = score(cases);
  const ms = timing(cases);
  console.log(
    `\nPII on the realistic corpus, ${set} set: ${cases.length} cases (${cases.filter((c) => c.expect.length === 0).length} negatives)\n`,
  );
  console.log(table(byType).join('\n'));
  console.log('\nPer type and language:\n');
  console.log(table(byTypeLang).join('\n'));
  console.log('\nMedian ms per 10 KB, each detector alone:\n');
  console.log('| type | ms |\n| --- | --- |');
  for (const [type, t] of Object.entries(ms)) console.log(`| ${type} | ${t} |`);
  if (process.argv.includes('--misses')) console.log(`\n${misses.join('\n')}`);
  writeResult(`pii-realistic-${set}`, {
    set,
    cases: cases.length,
    byType,
    byTypeLang,
    msPer10KB: ms,
  });
}

main();
