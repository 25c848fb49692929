/**
 * `npm run bench:validate`: how long `validateAnswer` takes on a 10 KB `summarize` answer with
 * every layer on (schema, rules, grounding against the ~10 KB input, output PII and profanity),
 * the case bench:guards times (bench/lib/summarize-case.ts). Pure CPU: a warm-up, then many
 * timed calls; prints median, p90 and p99 in ms and writes bench/results/validate-<date>.json.
 *
 * `--baseline <dir>` (a checkout of another commit, e.g. `git worktree add /tmp/keel-old <rev>`
 * with node_modules linked in) times that tree's validateAnswer in the same run, in alternating
 * blocks so both see the same load, checks both return the same result, and prints the ratio.
 * Beside wall time it reports CPU time per call (process CPU over each block of calls): on a
 * shared, loaded machine wall time includes waiting for a core, CPU time does not.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { screenInput } from '../activities/guards/screen-input';
import { validateAnswer } from '../activities/guards/validation';
import { BUILT_IN_POLICY } from '../shared/policy/resolve-policy';
import { summarize } from '../shared/tasks/summarize';
import { loadSummarizeCase } from './lib/summarize-case';

const ROOT = path.resolve(__dirname, '..');
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 1000);
/** Calls per block; variants alternate block by block. */
const BLOCK = 50;
const TARGET_MS = 5;

type Validate = typeof validateAnswer;
interface Variant {
  name: string;
  validate: Validate;
  task: typeof summarize;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

function summary(samples: number[]): { medianMs: number; p90Ms: number; p99Ms: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number): number =>
    round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN);
  return { medianMs: at(50), p90Ms: at(90), p99Ms: at(99), n: sorted.length };
}

async function loadBaseline(dir: string): Promise<Variant> {
  const abs = path.resolve(dir);
  const v = (await import(path.join(abs, 'activities/guards/validation.ts'))) as {
    validateAnswer: Validate;
  };
  const t = (await import(path.join(abs, 'shared/tasks/summarize.ts'))) as {
    summarize: typeof summarize;
  };
  return { name: `baseline (${abs})`, validate: v.validateAnswer, task: t.summarize };
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--baseline');
  const baselineDir = flag >= 0 ? process.argv[flag + 1] : undefined;
  const { text, input, output } = loadSummarizeCase();
  // As in the pipeline: the input's PII is fingerprinted once, at screening.
  const inputPii = screenInput(input, BUILT_IN_POLICY).piiFingerprints;
  const args = { output, input, inputPii, policy: BUILT_IN_POLICY };

  const variants: Variant[] = [{ name: 'current', validate: validateAnswer, task: summarize }];
  if (baselineDir) variants.unshift(await loadBaseline(baselineDir));

  const expected = JSON.stringify(variants[0]!.validate(variants[0]!.task, args));
  for (const v of variants) {
    const result = v.validate(v.task, args);
    if (!result.ok || Object.values(result.layers).some((l) => l.status !== 'passed'))
      throw new Error(
        `${v.name}: the case must pass every layer: ${JSON.stringify(result.layers)}`,
      );
    if (JSON.stringify(result) !== expected)
      throw new Error(`${v.name} returns a different result from ${variants[0]!.name}`);
  }

  for (const v of variants) for (let i = 0; i < WARMUP; i += 1) v.validate(v.task, args);
  const samples = variants.map((): number[] => []);
  /** CPU time per call, block by block: what the call costs, whatever else the machine runs. */
  const cpuPerCall = variants.map((): number[] => []);
  for (let done = 0, block = 0; done < ITERATIONS; done += BLOCK, block += 1) {
    // Alternate which variant goes first, so neither always follows the other's garbage.
    const order = block % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => i).reverse();
    for (const i of order) {
      const v = variants[i]!;
      const cpu0 = process.cpuUsage();
      let calls = 0;
      for (let k = 0; k < BLOCK && done + k < ITERATIONS; k += 1, calls += 1) {
        const t0 = performance.now();
        v.validate(v.task, args);
        samples[i]!.push(performance.now() - t0);
      }
      const cpu = process.cpuUsage(cpu0);
      cpuPerCall[i]!.push((cpu.user + cpu.system) / 1000 / calls);
    }
  }

  const results = variants.map((v, i) => ({
    name: v.name,
    ...summary(samples[i]!),
    cpuMedianMs: summary(cpuPerCall[i]!).medianMs,
  }));
  const current = results[results.length - 1]!;
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      node: process.version,
      loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
    case: {
      inputChars: text.length,
      outputChars: output.summary.length + output.keyPoints.join('').length,
      keyPoints: output.keyPoints.length,
    },
    warmup: WARMUP,
    iterations: ITERATIONS,
    targetMs: TARGET_MS,
    met: current.medianMs <= TARGET_MS,
    results,
    ...(results.length === 2
      ? {
          medianRatio: round(current.medianMs / results[0]!.medianMs),
          cpuRatio: round(current.cpuMedianMs / results[0]!.cpuMedianMs),
        }
      : {}),
  };
  const dir = path.join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `validate-${report.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

  console.log(
    `validateAnswer, summarize, ${report.case.outputChars}-char output, ${text.length}-char input, ` +
      `every layer; ${ITERATIONS} calls after ${WARMUP} warm-up; load ${report.machine.loadavg.join(' ')}`,
  );
  console.log(
    '\n| code | median ms | p90 ms | p99 ms | CPU ms per call |\n| --- | --- | --- | --- | --- |',
  );
  for (const r of results)
    console.log(`| ${r.name} | ${r.medianMs} | ${r.p90Ms} | ${r.p99Ms} | ${r.cpuMedianMs} |`);
  if (report.medianRatio !== undefined)
    console.log(
      `\ncurrent / baseline: median ${report.medianRatio}, CPU per call ${report.cpuRatio}`,
    );
  console.log(`target ≤ ${TARGET_MS} ms median: ${report.met ? 'met' : 'NOT MET'}`);
  console.log(`Written to ${path.relative(ROOT, file)}`);
}

void main();
