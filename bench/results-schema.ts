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
  /** Answers/s against the closed-loop capacity measured in the same run (`capacity`). */
  goodput?: { capacityPerSec: number; vsCapacity: number | null; vsExpected: number | null };
  /**
   * How the unanswered requests ended: how many were refused with 503 + Retry-After (at once,
   * as load shedding should), their share of all errors, and how fast those refusals came back.
   */
  refusals?: {
    errors: number;
    refused503WithRetryAfter: number;
    share: number | null;
    latency: LatencyStats;
    /** Every error by kind: `503 + Retry-After`, `500`, `TimeoutError: …`, `dropped`... */
    byKind: Record<string, number>;
  };
}
/** Closed-loop capacity per system, measured just before the open-loop rates. */
export interface CapacityPass {
  concurrency: number;
  seconds: number;
  systems: Partial<Record<SystemName, { perSec: number; errors: number; latency: LatencyStats }>>;
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
/**
 * Keel next to Temporal's floor of the shape Keel runs, on the bench's own Temporal server:
 * requests interleaved one by one (direct, Keel, Portkey, the floor workflow), then Keel and the
 * floor under closed-loop callers.
 */
export interface FloorPass {
  upstreamLatencyMs: number;
  settings: {
    rounds: number;
    perRound: number;
    concurrency: number;
    seconds: number;
    throughputRounds: number;
  };
  deployment: 'two processes' | 'embedded worker';
  /** Counted from one completed job's history; per happy-path task. */
  keelShape: {
    jobId: string;
    description: string;
    workflowTasks: number;
    localActivities: number;
    activities: number;
    events: number;
    historyBytes: number;
    payloadBytes: number;
    payloads: number;
  };
  direct: { latency: LatencyStats };
  /** The floor workflow of Keel's shape (client and worker in the bench process). */
  floor: { latency: LatencyStats; throughputPerSec: number };
  keel: {
    latency: LatencyStats;
    /** Over direct, same rounds. */
    addedMs: { p50: number; p99: number };
    throughputPerSec: number;
  };
  portkey?: { latency: LatencyStats; addedMs: { p50: number; p99: number } };
  ratios: {
    /** Keel's added p50 ÷ the floor's p50 (target ≤ 1.3). */
    addedP50VsFloor: number | null;
    /** Keel's added p99 ÷ the floor's p99 (target ≤ 1.5). */
    addedP99VsFloor: number | null;
    /** Keel's closed-loop tasks/s ÷ the floor's runs/s (target ≥ 0.8). */
    throughputVsFloor: number | null;
    addedP50VsPortkey: number | null;
    addedP99VsPortkey: number | null;
  };
  errors: Record<string, number>;
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
  /** Keel's added latency and throughput next to Temporal's floor of its shape. */
  floor?: FloorPass;
  capacity?: CapacityPass;
  load: LoadPass[];
  faultMix?: FaultMixPass;
  memory: MemoryPass;
  targets: TargetCheck[];
}
