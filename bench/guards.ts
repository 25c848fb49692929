/**
 * `npm run bench:guards`: how well and how fast Keel's guards work on this machine.
 *
 * Accuracy: every detector on its labelled corpus in test/fixtures/guards (PII per type,
 * prompt injection, toxicity), with the target where there is one. Speed: median and p95 per call
 * on a realistic mixed 10 KB text stitched from the same corpora, after a warm-up, for each
 * detector, for all three in a row, and for the whole output validation of a summary of that
 * text (schema, rules, grounding, output moderation), split by layer. Pure CPU, no I/O in the
 * loop; takes a few seconds. Writes bench/results/guards-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateAnswer } from '../activities/guards/validation';
import { screenInput } from '../activities/guards/screen-input';
import { scorePii, type PiiCorpusCase } from '../shared/guards/corpus-score';
import { detectInjection } from '../shared/guards/injection';
import { stringsOf } from '../shared/guards/json-strings';
import { detectPii } from '../shared/guards/pii';
import { BUILT_IN_POLICY } from '../shared/policy/resolve-policy';
import { detectToxicity } from '../shared/guards/toxicity';
import { PII_TYPES } from '../shared/guards/types';
import { summarize } from '../shared/tasks/summarize';
import {
  loadCorpus as load,
  mixedText,
  summarizeCase,
  type InjectionCase,
  type ToxicityCase,
} from './lib/summarize-case';

const ROOT = path.resolve(__dirname, '..');
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);

interface Row {
  detector: string;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  target?: { precision: number; recall: number };
}

/** Targets from the guards' brief; detectors without one report honest figures. */
const TARGETS: Record<string, { precision: number; recall: number }> = {
  'credit-card': { precision: 0.95, recall: 0.98 },
  iban: { precision: 0.95, recall: 0.98 },
  injection: { precision: 0.95, recall: 0.9 },
};

function binaryRow(detector: string, labels: boolean[], flagged: boolean[]): Row {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  labels.forEach((label, i) => {
    if (flagged[i] && label) tp += 1;
    else if (flagged[i]) fp += 1;
    else if (label) fn += 1;
  });
  return {
    detector,
    tp,
    fp,
    fn,
    precision: tp + fp ? tp / (tp + fp) : 1,
    recall: tp + fn ? tp / (tp + fn) : 1,
    target: TARGETS[detector],
  };
}

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Median targets per 10 KB: the product's is every validator and detector on an output under
 * 5 ms (validateAnswer); the detectors' shares of it are the rest.
 */
const TIMING_TARGETS_MS: Record<string, number> = {
  detectPii: 2,
  detectInjection: 0.8,
  detectToxicity: 1.5,
  allThree: 4.5,
  'validateAnswer (summarize, 10 KB output)': 5,
};

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

function main(): void {
  const pii = load<PiiCorpusCase>('pii-corpus.json');
  const inj = load<InjectionCase>('injection-corpus.json');
  const tox = load<ToxicityCase>('toxicity-corpus.json');

  const piiScores = scorePii(pii, (text) => detectPii(text));
  const rows: Row[] = [
    ...PII_TYPES.map((type) => ({ detector: type, ...piiScores[type], target: TARGETS[type] })),
    binaryRow(
      'injection',
      inj.map((c) => c.injection),
      inj.map((c) => detectInjection(c.text).score >= 0.5),
    ),
    binaryRow(
      'toxicity',
      tox.map((c) => c.toxic),
      tox.map((c) => detectToxicity(c.text).score >= 0.5),
    ),
  ];

  const text = mixedText(pii, inj, tox);
  const { input, output, dropped } = summarizeCase(text);
  // As in the pipeline: the input's PII is fingerprinted once, at screening (timed on its own).
  const inputPii = screenInput(input, BUILT_IN_POLICY).piiFingerprints;
  const validate = (): ReturnType<typeof validateAnswer> =>
    validateAnswer(summarize, { output, input, inputPii, policy: BUILT_IN_POLICY });
  const check = validate();
  const ran = Object.entries(check.layers).filter(([, l]) => l.status !== 'passed');
  if (!check.ok || ran.length > 0) {
    throw new Error(`the summarize case must pass every layer: ${JSON.stringify(check.layers)}`);
  }
  const outputStrings = stringsOf(output).map((s) => s.text);
  const { piiConfidence } = BUILT_IN_POLICY.moderation.thresholds;
  const timing = {
    detectPii: time(() => detectPii(text)),
    detectInjection: time(() => detectInjection(text)),
    detectToxicity: time(() => detectToxicity(text)),
    allThree: time(() => {
      detectPii(text);
      detectInjection(text);
      detectToxicity(text);
    }),
    'validateAnswer (summarize, 10 KB output)': time(validate),
  };
  // What validateAnswer spends its time on, layer by layer (the calls it makes, timed alone).
  const validateSplit = {
    'schema (zod)': time(() => summarize.output.safeParse(output)),
    'rules (word count)': time(() =>
      summarize.rules?.map((r) => r.check(output, input, BUILT_IN_POLICY)),
    ),
    'grounding (claims in the summary vs the source)': time(() =>
      summarize.grounding?.(output, input),
    ),
    'input screening (screenInput, once per task, not per answer)': time(() =>
      screenInput(input, BUILT_IN_POLICY),
    ),
    'moderation: detectPii on the output': time(() =>
      outputStrings.map((t) => detectPii(t, { minConfidence: piiConfidence })),
    ),
    'moderation: detectToxicity on the output': time(() => outputStrings.map(detectToxicity)),
  };
  const targets = Object.fromEntries(
    Object.entries(timing).map(([name, t]) => {
      const targetMs = TIMING_TARGETS_MS[name] ?? NaN;
      return [name, { targetMs, met: t.medianMs <= targetMs }];
    }),
  );

  const met = (r: Row): boolean | undefined =>
    r.target && r.precision >= r.target.precision && r.recall >= r.target.recall;
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    corpora: { pii: pii.length, injection: inj.length, toxicity: tox.length },
    accuracy: rows.map((r) => ({
      ...r,
      precision: round(r.precision),
      recall: round(r.recall),
      met: met(r),
    })),
    timing: { textChars: text.length, warmup: WARMUP, ...timing },
    targets,
    validateAnswer: {
      outputChars: output.summary.length + output.keyPoints.join('').length,
      /** Grounding issues raised against sentences copied verbatim from the source. */
      droppedFromSummary: dropped,
      layers: Object.fromEntries(Object.entries(check.layers).map(([k, l]) => [k, l.status])),
      split: validateSplit,
    },
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(ROOT, 'bench/results/guards-latest.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );

  const pct = (n: number): string => n.toFixed(3);
  console.log(
    '\n| detector | TP | FP | FN | precision | recall | target | met |\n| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of rows) {
    const target = r.target ? `P ≥ ${r.target.precision}, R ≥ ${r.target.recall}` : '—';
    const ok = met(r);
    const verdict = ok === undefined ? '—' : ok ? 'met' : 'NOT MET';
    console.log(
      `| ${r.detector} | ${r.tp} | ${r.fp} | ${r.fn} | ${pct(r.precision)} | ${pct(r.recall)} | ${target} | ${verdict} |`,
    );
  }
  console.log(
    `\nPer call on a ${text.length}-character mixed text (${ITERATIONS} runs after ${WARMUP} warm-up):`,
  );
  console.log(
    '\n| detector | median ms | p95 ms | target | met |\n| --- | --- | --- | --- | --- |',
  );
  for (const [name, t] of Object.entries(timing)) {
    const target = targets[name];
    const verdict = target
      ? `≤ ${target.targetMs} ms | ${target.met ? 'met' : 'NOT MET'}`
      : '— | —';
    console.log(`| ${name} | ${t.medianMs} | ${t.p95Ms} | ${verdict} |`);
  }
  console.log('\nvalidateAnswer, its calls timed alone:');
  console.log('\n| part | median ms | p95 ms |\n| --- | --- | --- |');
  for (const [name, t] of Object.entries(validateSplit)) {
    console.log(`| ${name} | ${t.medianMs} | ${t.p95Ms} |`);
  }
  console.log('\nWritten to bench/results/guards-latest.json');
}

main();
