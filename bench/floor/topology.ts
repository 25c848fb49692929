/**
 * Deployment topologies for `npm run bench:floor -- --topology 2x2[,2x2e]`: how many API
 * processes and separate worker processes Keel runs on the one Temporal server, and whether the
 * APIs embed a worker (eager start).
 */
import { ratio, type SystemSummary } from './shape';

export interface Topology {
  apis: number;
  /** Separate worker processes (besides the APIs' embedded ones). */
  workers: number;
  embedded: boolean;
}

/** The deployments every run measures: API + worker process, and the API with its own worker. */
export const BASE_TOPOLOGIES: readonly Topology[] = [
  { apis: 1, workers: 1, embedded: false },
  { apis: 1, workers: 0, embedded: true },
];

/**
 * `"2x2"` → 2 APIs + 2 worker processes; `"2x2e"` → 2 APIs with embedded workers + 2 worker
 * processes; comma-separated for several. Throws on anything else, or on a deployment with no
 * worker at all.
 */
export function parseTopologies(value: string | undefined): Topology[] {
  if (!value) return [];
  return value.split(',').map((raw) => {
    const m = /^(\d+)x(\d+)(e?)$/.exec(raw.trim());
    if (!m) throw new Error(`--topology: "<apis>x<workers>[e]", e.g. 2x2 or 2x2e; got "${raw}"`);
    const t: Topology = { apis: Number(m[1]), workers: Number(m[2]), embedded: m[3] === 'e' };
    if (t.apis < 1 || (t.workers === 0 && !t.embedded)) {
      throw new Error(`--topology ${raw}: needs at least one API and one worker`);
    }
    return t;
  });
}

export const topologyKey = (t: Topology): string =>
  `${t.apis}x${t.workers}${t.embedded ? 'e' : ''}`;

/** "two processes", "embedded worker", "2 APIs + 2 workers", "2 APIs (embedded) + 2 workers". */
export function describeTopology(t: Topology): string {
  if (t.apis === 1 && t.workers === 1 && !t.embedded) return 'two processes';
  if (t.apis === 1 && t.workers === 0 && t.embedded) return 'embedded worker';
  const apis = `${t.apis} API${t.apis === 1 ? '' : 's'}${t.embedded ? ' (embedded worker)' : ''}`;
  return t.workers ? `${apis} + ${t.workers} worker${t.workers === 1 ? '' : 's'}` : apis;
}

/** The single-API deployment a topology is compared with: the same worker placement. */
export const baselineOf = (t: Topology): Topology => BASE_TOPOLOGIES[t.embedded ? 1 : 0]!;

/** One topology against its single-API baseline, on the same route, in the same run. */
export interface TopologyComparison {
  route: string;
  topology: string;
  baseline: string;
  /** Closed loop (C callers): tasks/s, and latency p50/p99 of those calls. */
  throughput: { topology: number; baseline: number; ratio: number | null };
  concurrent: { topology: LatencyPair; baseline: LatencyPair };
  /** One caller at a time. */
  sequential: { topology: LatencyPair; baseline: LatencyPair };
}
interface LatencyPair {
  p50: number;
  p99: number;
}

export function compareTopology(
  route: string,
  topology: Topology,
  mine: SystemSummary,
  base: SystemSummary,
): TopologyComparison {
  const pair = (s: { p50: number; p99: number }): LatencyPair => ({ p50: s.p50, p99: s.p99 });
  return {
    route,
    topology: topologyKey(topology),
    baseline: topologyKey(baselineOf(topology)),
    throughput: {
      topology: mine.throughput,
      baseline: base.throughput,
      ratio: ratio(mine.throughput, base.throughput),
    },
    concurrent: { topology: pair(mine.concurrent), baseline: pair(base.concurrent) },
    sequential: { topology: pair(mine.sequential), baseline: pair(base.sequential) },
  };
}
