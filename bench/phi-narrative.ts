/**
 * `npm run bench:phi`: does screening make a ticket `phi`? Ticket-level precision and recall on
 * the health-narrative corpus (test/corpora/phi-narrative), per language with counts, and the
 * time per 10 KB. A ticket is found `phi` when the PII detectors, run with its region and
 * language as a tenant's policy gives them, find any type of the data policy's PHI_TYPES. The
 * baseline row is the same with the health-narrative type left out: what screening found before
 * it (ids and codes only). Reports the held-out set unless `--set tune`; `--misses` lists the
 * tickets it got wrong. Writes bench/results/phi-narrative-<set>.json.
 */
import { detectPii } from '../shared/guards/pii';
import { PII_TYPES, type PiiType } from '../shared/guards/types';
import { PHI_TYPES } from '../shared/policy/data-policy';
import {
  loadCorpus,
  medianMs,
  ratio,
  setArgument,
  tenKilobytes,
  writeResult,
} from './lib/corpus-bench';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 40);

interface Ticket {
  id: string;
  lang: string;
  region: string;
  text: string;
  phi: boolean;
  why: string;
}

interface Counts {
  tickets: number;
  positives: number;
  tp: number;
  fp: number;
  fn: number;
  precision: number | null;
  recall: number | null;
}

const PHI: readonly PiiType[] = PII_TYPES.filter((t) => PHI_TYPES.has(t));
const BASELINE: readonly PiiType[] = PHI.filter((t) => t !== 'health-condition');

const isPhi = (t: Ticket, types: readonly PiiType[]): boolean =>
  detectPii(t.text, { types, region: t.region, language: t.lang }).length > 0;

function score(tickets: readonly Ticket[], types: readonly PiiType[], misses: string[]): Counts {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const t of tickets) {
    const found = isPhi(t, types);
    if (found && t.phi) tp += 1;
    else if (found) fp += 1;
    else if (t.phi) fn += 1;
    if (found !== t.phi) misses.push(`${t.id} ${found ? 'FP' : 'FN'}: ${t.text}`);
  }
  const num = (a: number, b: number): number | null => (b === 0 ? null : Number(ratio(a, b)));
  return {
    tickets: tickets.length,
    positives: tickets.filter((t) => t.phi).length,
    tp,
    fp,
    fn,
    precision: num(tp, tp + fp),
    recall: num(tp, tp + fn),
  };
}

function main(): void {
  const set = setArgument('holdout');
  const tickets = loadCorpus<Ticket>('phi-narrative', set);
  const misses: string[] = [];
  const langs = [...new Set(tickets.map((t) => t.lang))];
  const byLanguage = Object.fromEntries(
    langs.map((l) => [
      l,
      score(
        tickets.filter((t) => t.lang === l),
        PHI,
        [],
      ),
    ]),
  );
  const overall = score(tickets, PHI, misses);
  const baseline = score(tickets, BASELINE, []);
  const text = tenKilobytes(tickets.map((t) => t.text));
  const msPer10KB = {
    'health-condition': medianMs(
      () => detectPii(text, { types: ['health-condition'], region: 'US', language: 'en' }),
      ITERATIONS,
    ),
    allPhiTypes: medianMs(() => detectPii(text, { types: PHI, region: 'US' }), ITERATIONS),
  };

  console.log(`\nPHI on the health-narrative corpus, ${set} set: ${tickets.length} tickets\n`);
  console.log('| language | tickets | phi | TP | FP | FN | precision | recall |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const row = (name: string, c: Counts): void =>
    console.log(
      `| ${name} | ${c.tickets} | ${c.positives} | ${c.tp} | ${c.fp} | ${c.fn} | ${ratio(c.tp, c.tp + c.fp)} | ${ratio(c.tp, c.tp + c.fn)} |`,
    );
  for (const l of langs) row(l, byLanguage[l]!);
  row('**all**', overall);
  row('baseline (ids and codes only)', baseline);
  console.log(`\nMedian ms per 10 KB: ${JSON.stringify(msPer10KB)}`);
  if (process.argv.includes('--misses')) console.log(`\n${misses.join('\n')}`);
  writeResult(`phi-narrative-${set}`, { set, byLanguage, overall, baseline, msPer10KB });
}

main();
