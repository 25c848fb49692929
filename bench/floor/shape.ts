/**
 * Pure helpers of `npm run bench:floor`: the shape of a workflow read from its history (what the
 * floor must reproduce to be a fair comparison), and the round statistics.
 */
import { temporal } from '@temporalio/proto';
import type { LatencyStats } from '../results-schema';
import { latencyStats, median, round2 } from '../lib/stats';
import type { FloorStep } from './workflows';

const { EventType } = temporal.api.enums.v1;

/** The marker the SDK's core records for every completed local activity. */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export interface WorkflowShape {
  /** Completed workflow tasks. */
  workflowTasks: number;
  localActivities: number;
  /** Regular (task-queue dispatched) activities scheduled. */
  activities: number;
  timers: number;
  searchAttributeUpserts: number;
  events: number;
  /** The history's encoded size, payloads included. */
  historyBytes: number;
  /** Local and regular activities in history order: what the floor workflow replays. */
  steps: FloorStep[];
}

/** Counts what a completed workflow ran, from its history. */
export function shapeOfHistory(history: temporal.api.history.v1.IHistory): WorkflowShape {
  const shape: WorkflowShape = {
    workflowTasks: 0,
    localActivities: 0,
    activities: 0,
    timers: 0,
    searchAttributeUpserts: 0,
    events: history.events?.length ?? 0,
    historyBytes: temporal.api.history.v1.History.encode(history).finish().length,
    steps: [],
  };
  for (const event of history.events ?? []) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        shape.workflowTasks++;
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
          shape.localActivities++;
          shape.steps.push('local');
        }
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        shape.activities++;
        shape.steps.push('activity');
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        shape.timers++;
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        shape.searchAttributeUpserts++;
        break;
      default:
        break;
    }
  }
  return shape;
}

/** A floor shape: its steps and whether the start is eager. */
export interface FloorShape {
  name: string;
  steps: FloorStep[];
  eager: boolean;
}

export const shapeKey = (s: Pick<FloorShape, 'steps' | 'eager'>): string =>
  `${s.eager ? 'eager' : 'plain'}:${s.steps.join(',')}`;

/** "plain start, 1 WFT: 2 LA" / "eager start, 2 WFT: 1 LA, 1 act, 2 LA". */
export function describeSteps(steps: readonly FloorStep[], eager: boolean): string {
  const runs: string[] = [];
  for (let i = 0; i < steps.length;) {
    let j = i;
    while (j < steps.length && steps[j] === steps[i]) j++;
    runs.push(`${j - i} ${steps[i] === 'local' ? 'LA' : 'act'}`);
    i = j;
  }
  const wft = 1 + steps.filter((s) => s === 'activity').length;
  return `${eager ? 'eager' : 'plain'} start, ${wft} WFT${runs.length ? `: ${runs.join(', ')}` : ''}`;
}

/** The five shapes of issue 14's table. */
export const STANDARD_SHAPES: FloorShape[] = [
  { name: 'bare workflow, plain start', steps: [], eager: false },
  { name: 'bare workflow, eager start', steps: [], eager: true },
  { name: 'one local activity, eager', steps: ['local'], eager: true },
  { name: 'three local activities, eager', steps: ['local', 'local', 'local'], eager: true },
  { name: 'one regular activity, eager', steps: ['activity'], eager: true },
];

/** One round of one system: sequential latencies, then C callers for T seconds. */
export interface RoundSample {
  sequential: number[];
  concurrent: number[];
  completed: number;
  errors: number;
  elapsedMs: number;
}

export interface SystemSummary {
  /** p50: median of the rounds' medians; p90/p99/max over the pooled sequential samples. */
  sequential: LatencyStats;
  /** The concurrent phase's latencies, pooled. */
  concurrent: LatencyStats;
  /** Median over rounds of completed runs per second in the concurrent phase. */
  throughput: number;
  roundThroughputs: number[];
  roundP50s: number[];
  errors: number;
}

export function summarizeRounds(rounds: readonly RoundSample[]): SystemSummary {
  const pooled = rounds.flatMap((r) => r.sequential);
  const roundP50s = rounds.map((r) => round2(median(r.sequential)));
  const roundThroughputs = rounds.map((r) =>
    r.elapsedMs > 0 ? round2((r.completed / r.elapsedMs) * 1000) : 0,
  );
  return {
    sequential: { ...latencyStats(pooled), p50: round2(median(roundP50s)) },
    concurrent: latencyStats(rounds.flatMap((r) => r.concurrent)),
    throughput: round2(median(roundThroughputs)),
    roundThroughputs,
    roundP50s,
    errors: rounds.reduce((n, r) => n + r.errors, 0),
  };
}

/** Keel ÷ floor, two decimals; null when the floor is 0 or missing. */
export function ratio(keel: number, floor: number | undefined): number | null {
  return floor && Number.isFinite(floor) && Number.isFinite(keel) ? round2(keel / floor) : null;
}

/** Round r's order: the systems rotated by r, so none always runs first (or last). */
export function rotate<T>(items: readonly T[], r: number): T[] {
  if (items.length === 0) return [];
  const k = r % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
