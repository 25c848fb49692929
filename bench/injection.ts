/**
 * `npm run bench:injection`: prompt-injection screening on the held-out tickets
 * (test/corpora/injection/holdout.jsonl, never tuned or trained on), with the rules alone and with
 * the statistical classifier on (and the classifier alone): recall per category and per language,
 * false-positive rate on the
 * benign look-alikes, each with its case counts; the classifier's cross-validated figures on the
 * training corpus (from its weights file); and the time per 10 KB of each configuration. Writes
 * bench/results/injection-latest.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectInjection } from '../shared/guards/injection';
import { INJECTION_MODEL, probability } from '../shared/guards/injection-classifier';
import WEIGHTS from '../shared/guards/injection-classifier-weights.json';

const ROOT = path.resolve(__dirname, '..');
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const TEXT_CHARS = 10 * 1024;

interface Ticket {
  id: string;
  lang: string;
  category: string;
  injection: boolean;
  text: string;
}

/** Each configuration: whether it flags a text (score ≥ 0.5 for the screening ones). */
const CONFIGS: Record<string, (text: string) => boolean> = {
  rules: (text) => detectInjection(text).score >= 0.5,
  'rules + classifier': (text) => detectInjection(text, { classifier: true }).score >= 0.5,
  'classifier alone': (text) => probability(INJECTION_MODEL, text) >= INJECTION_MODEL.threshold,
};

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** `hits/n` and the rate, for one group of cases. */
interface Cell {
  n: number;
  flagged: number;
  rate: number;
}
const cell = (flags: boolean[]): Cell => {
  const flagged = flags.filter(Boolean).length;
  return { n: flags.length, flagged, rate: round(flags.length ? flagged / flags.length : 0) };
};

function groupBy(
  tickets: Ticket[],
  flags: boolean[],
  key: 'lang' | 'category',
): Record<string, Cell> {
  const keys = [...new Set(tickets.map((t) => t[key]))].sort();
  return Object.fromEntries(
    keys.map((k) => [k, cell(flags.filter((_, i) => tickets[i]?.[key] === k))]),
  );
}

function time(fn: () => unknown): { medianMs: number; p95Ms: number; n: number } {
  for (let i = 0; i < WARMUP; i += 1) fn();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i += 1) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const at = (p: number): number =>
    samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))] ?? NaN;
  return { medianMs: round(at(50)), p95Ms: round(at(95)), n: samples.length };
}

/** 10 KB of held-out tickets, benign and attacks interleaved as they come. */
function mixedText(tickets: Ticket[]): string {
  const parts: string[] = [];
  for (let i = 0, length = 0; length < TEXT_CHARS; i += 1) {
    const t = tickets[(i * 7) % tickets.length];
    if (!t) break;
    parts.push(t.text);
    length += t.text.length + 2;
  }
  return parts.join('\n\n').slice(0, TEXT_CHARS);
}

function main(): void {
  const tickets = readFileSync(path.join(ROOT, 'test/corpora/injection/holdout.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Ticket);
  const attacks = tickets.filter((t) => t.injection);
  const benign = tickets.filter((t) => !t.injection);
  const text = mixedText(tickets);

  const results = Object.entries(CONFIGS).map(([name, flags]) => {
    const flag = (t: Ticket): boolean => flags(t.text);
    const attackFlags = attacks.map(flag);
    const benignFlags = benign.map(flag);
    const tp = attackFlags.filter(Boolean).length;
    const fp = benignFlags.filter(Boolean).length;
    return {
      config: name,
      recall: cell(attackFlags),
      precision: round(tp + fp ? tp / (tp + fp) : 1),
      falsePositives: cell(benignFlags),
      recallByCategory: groupBy(attacks, attackFlags, 'category'),
      recallByLanguage: groupBy(attacks, attackFlags, 'lang'),
      falsePositivesByLanguage: groupBy(benign, benignFlags, 'lang'),
      missed: attacks.filter((_, i) => !attackFlags[i]).map((t) => t.id),
      falselyFlagged: benign.filter((_, i) => benignFlags[i]).map((t) => t.id),
      per10KB: time(() => flags(text)),
    };
  });

  const report = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    holdout: { tickets: tickets.length, injections: attacks.length, benign: benign.length },
    classifier: { threshold: WEIGHTS.threshold, crossValidatedOnTraining: WEIGHTS.crossValidated },
    results,
  };
  for (const r of results) {
    console.log(`\n== ${r.config}`);
    console.log(
      `recall ${r.recall.flagged}/${r.recall.n} = ${r.recall.rate}; false positives ${r.falsePositives.flagged}/${r.falsePositives.n} = ${r.falsePositives.rate}; precision ${r.precision}`,
    );
    const line = (cells: Record<string, Cell>): string =>
      Object.entries(cells)
        .map(([k, c]) => `${k} ${c.flagged}/${c.n}`)
        .join(', ');
    console.log(`by category: ${line(r.recallByCategory)}`);
    console.log(`by language: ${line(r.recallByLanguage)}`);
    console.log(`false positives by language: ${line(r.falsePositivesByLanguage)}`);
    console.log(
      `missed: ${r.missed.join(', ') || 'none'}; falsely flagged: ${r.falselyFlagged.join(', ') || 'none'}`,
    );
    console.log(`per 10 KB: median ${r.per10KB.medianMs} ms, p95 ${r.per10KB.p95Ms} ms`);
  }
  const cv = WEIGHTS.crossValidated;
  console.log(
    `\nclassifier, ${cv.folds}-fold cross-validated on the training tickets (threshold ${cv.threshold}): alone P ${cv.classifierAlone.precision} R ${cv.classifierAlone.recall}; rules + classifier P ${cv.rulesAndClassifier.precision} R ${cv.rulesAndClassifier.recall}`,
  );
  const dir = path.join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'injection-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
}

main();
