/**
 * Pure helpers of `npm run bench:floor`: the shape of a workflow read from its history (what the
 * floor must reproduce to be a fair comparison), and the round statistics.
 */
import { temporal } from '@temporalio/proto';
import type { LatencyStats } from '../results-schema';
import { latencyStats, median, round2 } from '../lib/stats';
import type { FloorStep } from './workflows';
import { LOCAL_ACTIVITY_MARKER, localActivityOf } from '../../test/support/local-activity';

const { EventType } = temporal.api.enums.v1;

export { LOCAL_ACTIVITY_MARKER };

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
  /**
   * Encoded bytes of every payload in the history (inputs, results, markers' data, memo, search
   * attributes, failures' details): the part Keel's own data adds to what Temporal stores.
   */
  payloadBytes: number;
  /** How many payloads those bytes are spread over. */
  payloads: number;
  /** Local and regular activities in history order: what the floor workflow replays. */
  steps: FloorStep[];
  /** Indexes into `steps` of the model calls (`callModel`): where an upstream's latency goes. */
  callSteps: number[];
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
    payloadBytes: 0,
    payloads: 0,
    steps: [],
    callSteps: [],
  };
  for (const payload of payloadsIn(history.events ?? [])) {
    shape.payloads++;
    shape.payloadBytes += temporal.api.common.v1.Payload.encode(payload).finish().length;
  }
  for (const event of history.events ?? []) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        shape.workflowTasks++;
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
          shape.localActivities++;
          if (localActivityOf(event.markerRecordedEventAttributes)?.type === 'callModel')
            shape.callSteps.push(shape.steps.length);
          shape.steps.push('local');
        }
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        shape.activities++;
        if (event.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel')
          shape.callSteps.push(shape.steps.length);
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

const isPayload = (v: object): v is temporal.api.common.v1.IPayload =>
  'data' in v && v.data instanceof Uint8Array && 'metadata' in v && typeof v.metadata === 'object';

/**
 * Every `Payload` reachable from the events, found by its shape (bytes `data` beside a `metadata`
 * map), so no event type's payload fields need listing: inputs, results, local-activity markers,
 * memo and search attributes, failure details alike.
 */
export function* payloadsIn(value: unknown): Generator<temporal.api.common.v1.IPayload> {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    for (const item of value) yield* payloadsIn(item);
    return;
  }
  if (isPayload(value)) {
    yield value;
    return;
  }
  for (const item of Object.values(value)) yield* payloadsIn(item);
}

/** "1 WFT, 4 LA, 0 act · 12 events · 6.9 KB history, 5.1 KB in 14 payloads". */
export function describeShape(shape: WorkflowShape): string {
  const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;
  return (
    `${shape.workflowTasks} WFT, ${shape.localActivities} LA, ${shape.activities} act · ` +
    `${shape.events} events · ${kb(shape.historyBytes)} history, ` +
    `${kb(shape.payloadBytes)} in ${shape.payloads} payloads`
  );
}

/** A floor shape: its steps and whether the start is eager. */
export interface FloorShape {
  name: string;
  steps: FloorStep[];
  eager: boolean;
  /** ms each step waits (an upstream's latency at the model calls); absent: none. */
  waits?: number[];
}

export const shapeKey = (s: Pick<FloorShape, 'steps' | 'eager' | 'waits'>): string =>
  `${s.eager ? 'eager' : 'plain'}:${s.steps.join(',')}${s.waits?.some((w) => w > 0) ? `:${s.waits.join(',')}` : ''}`;

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
