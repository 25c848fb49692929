/**
 * What the detector benches on hand-written corpora share (`bench:pii`, `bench:phi`): reading a
 * JSONL set under test/corpora, precision and recall as printed, the median time of a detector
 * on 10 KB stitched from the corpus, and the results file with the machine it ran on.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from './stats';

const ROOT = path.resolve(__dirname, '../..');

/** The set named by `--set <name>` on the command line, else `fallback`. */
export function setArgument(fallback: string): string {
  const at = process.argv.indexOf('--set');
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

/** test/corpora/<corpus>/<set>.jsonl, one object a line. */
export function loadCorpus<T>(corpus: string, set: string): T[] {
  const file = path.join(ROOT, 'test/corpora', corpus, `${set}.jsonl`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** `a / b` with three decimals, `—` when b is 0. */
export const ratio = (a: number, b: number): string => (b === 0 ? '—' : (a / b).toFixed(3));

/** The corpus's texts, each followed by a blank line, repeated and cut to 10 KB. */
export function tenKilobytes(texts: readonly string[]): string {
  let text = '';
  for (let i = 0; text.length < 10_240; i += 1) text += `${texts[i % texts.length]!}\n\n`;
  return text.slice(0, 10_240);
}

/** Median ms of `run` over `iterations` runs after five warm-up runs, three decimals. */
export function medianMs(run: () => unknown, iterations: number): number {
  for (let i = 0; i < 5; i += 1) run();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  return Math.round(median(samples) * 1000) / 1000;
}

/** Writes bench/results/<name>.json: the date, the machine, then `result`. */
export function writeResult(name: string, result: object): void {
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version };
  writeFileSync(
    path.join(ROOT, `bench/results/${name}.json`),
    `${JSON.stringify({ date: new Date().toISOString(), machine, ...result }, null, 2)}\n`,
  );
}
