/**
 * The results of `npm run bench:chat` (bench/results/chat-*.json) and the table it prints: each
 * figure per system, then Keel ÷ direct and Keel ÷ Portkey.
 */
import type { LatencyStats, SystemName } from '../results-schema';
import { percent, type VerdictTally } from './chat-verdicts';
import { ratioOf } from './ratios';

export interface ChatLatencySystem {
  /** Non-streaming, whole call: p50 = median of round medians; p90/p99/max pooled. */
  nonStream: LatencyStats;
  /** Streaming, request to first content delta. */
  ttft: LatencyStats;
  /** Streaming, paced upstream (`trickle`): request to first content delta. */
  pacedTtft?: LatencyStats;
  /** Over direct, in the same rounds (p50: median of paired round differences; p99: pooled). */
  addedMs: { p50: number; p99: number } | null;
  addedTtftMs: { p50: number; p99: number } | null;
  addedPacedTtftMs?: { p50: number; p99: number } | null;
  /** Calls that raised or answered other text than expected (not in the figures). */
  errors: number;
}

export interface ChatThroughputSystem {
  /** Median over the repetitions, answers with the expected text per second. */
  perSec: number;
  perRepetition: number[];
  errors: number;
  latency: LatencyStats;
}

export interface ChatFaultSystem extends VerdictTally {
  perScenario: Record<string, VerdictTally & { p50Ms: number }>;
  /** What the clients raised, by scenario and message, for reading the failures. */
  errorKinds: Record<string, number>;
}

export interface ChatBenchResults {
  date: string;
  quick: boolean;
  machine: { cpus: number; memoryGiB: number; node: string; loadAvg: number[] };
  versions: Record<string, string>;
  /** Systems asked for but left out, and why. */
  missing: Record<string, string>;
  settings: Record<string, unknown>;
  latency: {
    rounds: number;
    perRound: number;
    systems: Partial<Record<SystemName, ChatLatencySystem>>;
  };
  throughput: {
    concurrency: number;
    seconds: number;
    repetitions: number;
    systems: Partial<Record<SystemName, ChatThroughputSystem>>;
  };
  faultMix: {
    scenarios: string[];
    rounds: number;
    deadlineMs: number;
    systems: Partial<Record<SystemName, ChatFaultSystem>>;
  };
}

const ORDER: readonly SystemName[] = ['direct', 'keel', 'portkey', 'litellm'];

type Row = [label: string, pick: (s: SystemName) => number | null | undefined, ratios: boolean];

/** The figures table, markdown, one row per figure. */
export function chatTable(r: ChatBenchResults): string[] {
  const names = ORDER.filter((n) => r.latency.systems[n] ?? r.faultMix.systems[n]);
  const lat = (n: SystemName) => r.latency.systems[n];
  const fm = (n: SystemName) => r.faultMix.systems[n];
  const rows: Row[] = [
    ['non-stream p50 ms', (n) => lat(n)?.nonStream.p50, true],
    ['non-stream p99 ms', (n) => lat(n)?.nonStream.p99, true],
    ['added p50 ms (non-stream)', (n) => lat(n)?.addedMs?.p50, true],
    ['added p99 ms (non-stream)', (n) => lat(n)?.addedMs?.p99, true],
    ['stream TTFT p50 ms', (n) => lat(n)?.ttft.p50, true],
    ['added TTFT p50 ms', (n) => lat(n)?.addedTtftMs?.p50, true],
    ['added TTFT p99 ms', (n) => lat(n)?.addedTtftMs?.p99, true],
    ['paced stream TTFT p50 ms', (n) => lat(n)?.pacedTtft?.p50, true],
    ['added paced TTFT p50 ms', (n) => lat(n)?.addedPacedTtftMs?.p50, true],
    [
      `throughput /s (${r.throughput.concurrency} callers)`,
      (n) => r.throughput.systems[n]?.perSec,
      true,
    ],
    ['stream fault mix: valid', (n) => fm(n)?.validShare, true],
    ['stream fault mix: silent truncations', (n) => fm(n)?.counts['silent-truncation'], false],
    [
      'stream fault mix: raised errors',
      (n) =>
        fm(n) ? fm(n)!.counts['error-before-text'] + fm(n)!.counts['error-after-text'] : null,
      false,
    ],
    ['stream fault mix: hung (caller deadline)', (n) => fm(n)?.counts.hung, false],
  ];
  const cell = (label: string, v: number | null | undefined): string => {
    if (v === null || v === undefined || Number.isNaN(v)) return '—';
    return label.includes('valid') ? percent(v) : String(v);
  };
  const x = (v: number | null): string => (v === null ? '—' : `${v}×`);
  const out = [
    `| figure | ${names.join(' | ')} | Keel ÷ direct | Keel ÷ Portkey |`,
    `|---|${names.map(() => '---|').join('')}---|---|`,
  ];
  for (const [label, pick, ratios] of rows) {
    const values = names.map((n) => pick(n));
    if (values.every((v) => v === null || v === undefined)) continue;
    const keel = pick('keel') ?? undefined;
    const added = label.startsWith('added');
    out.push(
      `| ${label} | ${names.map((n, i) => cell(label, values[i])).join(' | ')} | ` +
        `${ratios && !added ? x(ratioOf(keel, pick('direct') ?? undefined)) : '—'} | ` +
        `${ratios ? x(ratioOf(keel, pick('portkey') ?? undefined)) : '—'} |`,
    );
  }
  return out;
}

/** Per scenario: valid / silent truncations / raised / hung, for each system. */
export function faultTable(r: ChatBenchResults): string[] {
  const names = ORDER.filter((n) => r.faultMix.systems[n]);
  const out = [
    `| scenario | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---|').join('')}`,
    ...r.faultMix.scenarios.map((scenario) => {
      const cells = names.map((n) => {
        const t = r.faultMix.systems[n]?.perScenario[scenario];
        if (!t) return '—';
        const c = t.counts;
        return (
          `${c.valid}/${t.requests} valid, ${c['silent-truncation']} silent, ` +
          `${c['error-before-text'] + c['error-after-text']} raised, ${c.hung} hung; p50 ${Math.round(t.p50Ms)} ms`
        );
      });
      return `| ${scenario} | ${cells.join(' | ')} |`;
    }),
  ];
  return out;
}
