/**
 * The shape of a side-by-side benchmark run (direct upstream vs Keel vs Portkey vs LiteLLM).
 * The benchmark runner fills it; bench/chart.ts renders it.
 */
export const SYSTEMS = ['direct', 'keel', 'portkey', 'litellm'] as const;
export type SystemName = (typeof SYSTEMS)[number];
export interface LatencyStats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
} // ms
/** Up to 101 latency quantiles (q0, q1, ..., q100) in ms, for distribution plots. */
export type Quantiles = number[];
export interface OverheadSystem {
  latency: LatencyStats; // median of round medians for p50; p90/p99 over pooled samples
  quantiles: Quantiles;
  addedMs: { p50: number; p90: number; p99: number } | null; // vs direct; null for direct
  errors: number;
  keelHeaderMs?: LatencyStats; // keel only: x-keel-overhead-ms as reported by Keel
}
export interface OverheadPass {
  upstreamLatencyMs: number;
  rounds: number;
  perRound: number;
  systems: Partial<Record<SystemName, OverheadSystem>>;
}
export interface LoadSystem {
  offeredPerSec: number;
  achievedPerSec: number;
  sent: number;
  ok: number;
  errors: number;
  errorRate: number;
  latency: LatencyStats;
  quantiles: Quantiles;
}
export interface LoadPass {
  ratePerSec: number;
  durationS: number;
  systems: Partial<Record<SystemName, LoadSystem>>;
}
export interface FaultMixSystem {
  requests: number;
  valid: number;
  invalid: number;
  errors: number;
  validShare: number;
  latency: LatencyStats;
  attemptsPerResult: number;
  tokensPerValid: number;
  faultFreeTokensPerValid: number;
  tokensRatio: number;
  /** Keel only: answers from the task's deterministic fallback (meta.path degraded). */
  degraded?: number;
  perScenario: Record<string, { requests: number; valid: number; invalid: number; errors: number }>;
}
export interface FaultMixPass {
  seed: number;
  requests: number;
  scenarios: string[];
  systems: Partial<Record<SystemName, FaultMixSystem>>;
}
export interface RssSeries {
  process: string;
  samples: Array<{ tS: number; rssMb: number }>;
  peakMb: number;
}
export interface MemoryPass {
  processes: RssSeries[]; // every process of every system over the whole run
  longRun?: {
    tasks: number;
    durationS: number;
    tasksPerSec: number;
    worker: {
      startMb: number;
      endMb: number;
      peakMb: number;
      growthPct: number;
      samples: Array<{ tS: number; rssMb: number }>;
    };
  };
}
export interface TargetCheck {
  name: string;
  target: string;
  value: string;
  met: boolean;
}
export interface BenchResults {
  date: string;
  quick: boolean;
  machine: { cpus: number; memoryGiB: number; node: string; loadAvg: number[] };
  versions: Record<string, string>;
  overhead: OverheadPass[];
  /** Keel's cache-hit path as the client saw it (HTTP included). */
  cacheHit?: LatencyStats;
  /** The same requests, as Keel reports them in x-keel-overhead-ms. */
  cacheHitHeader?: LatencyStats;
  /** How the run was set up: rates, counts, seeds, timeouts, policies. */
  settings?: Record<string, unknown>;
  load: LoadPass[];
  faultMix?: FaultMixPass;
  memory: MemoryPass;
  targets: TargetCheck[];
}
