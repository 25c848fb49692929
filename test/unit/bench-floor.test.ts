import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import {
  describeShape,
  describeSteps,
  LOCAL_ACTIVITY_MARKER,
  payloadsIn,
  ratio,
  rotate,
  shapeKey,
  shapeOfHistory,
  summarizeRounds,
} from '../../bench/floor/shape';
import {
  compareTopology,
  describeTopology,
  parseTopologies,
  topologyKey,
} from '../../bench/floor/topology';

const { EventType } = temporal.api.enums.v1;
type Event = temporal.api.history.v1.IHistoryEvent;

const ev = (eventType: temporal.api.enums.v1.EventType, extra: Partial<Event> = {}): Event => ({
  eventType,
  ...extra,
});
const marker = (markerName: string): Event =>
  ev(EventType.EVENT_TYPE_MARKER_RECORDED, { markerRecordedEventAttributes: { markerName } });
const wft = (): Event[] => [
  ev(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
  ev(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
  ev(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
];

describe('shapeOfHistory', () => {
  it('counts workflow tasks, local and regular activities, in history order', () => {
    const events: Event[] = [
      ev(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
      ...wft(),
      marker(LOCAL_ACTIVITY_MARKER),
      ev(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
      ev(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
      ev(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED),
      ev(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
      ...wft(),
      marker(LOCAL_ACTIVITY_MARKER),
      marker('some_other_marker'),
      marker(LOCAL_ACTIVITY_MARKER),
      ev(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
    ];
    const shape = shapeOfHistory({ events });
    expect(shape).toMatchObject({
      workflowTasks: 2,
      localActivities: 3,
      activities: 1,
      timers: 0,
      searchAttributeUpserts: 1,
      events: events.length,
      steps: ['local', 'activity', 'local', 'local'],
    });
    expect(shape.historyBytes).toBeGreaterThan(0);
  });

  it('finds the model calls among the steps: local markers by their activity type, and activities', () => {
    const laMarker = (type: string): Event =>
      ev(EventType.EVENT_TYPE_MARKER_RECORDED, {
        markerRecordedEventAttributes: {
          markerName: LOCAL_ACTIVITY_MARKER,
          details: {
            data: {
              payloads: [
                { data: Buffer.from(JSON.stringify({ activity_type: type, attempt: 1 })) },
              ],
            },
          },
        },
      });
    const shape = shapeOfHistory({
      events: [
        laMarker('prepareTask'),
        laMarker('callModel'),
        ev(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
          activityTaskScheduledEventAttributes: { activityType: { name: 'callModel' } },
        }),
        laMarker('validateOutput'),
      ],
    });
    expect(shape.steps).toEqual(['local', 'local', 'activity', 'local']);
    expect(shape.callSteps).toEqual([1, 2]);
    expect(shapeKey({ steps: shape.steps, eager: true, waits: [0, 50, 50, 0] })).not.toBe(
      shapeKey({ steps: shape.steps, eager: true }),
    );
  });

  it('an empty history is the bare shape', () => {
    expect(shapeOfHistory({})).toMatchObject({ workflowTasks: 0, events: 0, steps: [] });
  });
});

describe('payload bytes', () => {
  const json = (value: unknown): temporal.api.common.v1.IPayload => ({
    metadata: { encoding: new TextEncoder().encode('json/plain') },
    data: new TextEncoder().encode(JSON.stringify(value)),
  });
  const size = (p: temporal.api.common.v1.IPayload): number =>
    temporal.api.common.v1.Payload.encode(p).finish().length;

  it('finds every payload of a decoded history: input, marker data, memo, result', () => {
    const input = json({ subject: 'Refund', body: 'charged twice' });
    const markerData = json({ ok: true });
    const memo = json({ tenant: 't1' });
    const result = json({ category: 'billing' });
    const encoded = temporal.api.history.v1.History.encode({
      events: [
        ev(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
          workflowExecutionStartedEventAttributes: {
            input: { payloads: [input] },
            memo: { fields: { tenant: memo } },
          },
        }),
        ...wft(),
        ev(EventType.EVENT_TYPE_MARKER_RECORDED, {
          markerRecordedEventAttributes: {
            markerName: LOCAL_ACTIVITY_MARKER,
            details: { data: { payloads: [markerData] } },
          },
        }),
        ev(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
          workflowExecutionCompletedEventAttributes: { result: { payloads: [result] } },
        }),
      ],
    }).finish();
    // As the client hands it over: decoded protobuf messages, not plain objects.
    const history = temporal.api.history.v1.History.decode(encoded);
    const shape = shapeOfHistory(history);
    expect(shape.payloads).toBe(4);
    expect(shape.payloadBytes).toBe(size(input) + size(markerData) + size(memo) + size(result));
    expect(shape.payloadBytes).toBeLessThan(shape.historyBytes);
    expect(shape.localActivities).toBe(1);
  });

  it('a history without payloads has none', () => {
    expect([...payloadsIn({ events: [ev(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)] })]).toEqual(
      [],
    );
  });

  it('describes a task by its counts and bytes', () => {
    expect(
      describeShape({
        workflowTasks: 2,
        localActivities: 3,
        activities: 1,
        timers: 0,
        searchAttributeUpserts: 0,
        events: 19,
        historyBytes: 8090,
        payloadBytes: 5120,
        payloads: 14,
        steps: [],
        callSteps: [],
      }),
    ).toBe('2 WFT, 3 LA, 1 act · 19 events · 7.9 KB history, 5.0 KB in 14 payloads');
  });
});

describe('topologies', () => {
  it('parses APIs x workers, e for embedded workers', () => {
    expect(parseTopologies('2x2, 2x2e,3x0e')).toEqual([
      { apis: 2, workers: 2, embedded: false },
      { apis: 2, workers: 2, embedded: true },
      { apis: 3, workers: 0, embedded: true },
    ]);
    expect(parseTopologies(undefined)).toEqual([]);
  });

  it('refuses a deployment that runs no tasks, or a typo', () => {
    expect(() => parseTopologies('2x0')).toThrow(/at least one API and one worker/);
    expect(() => parseTopologies('0x2')).toThrow(/at least one API/);
    expect(() => parseTopologies('2by2')).toThrow(/<apis>x<workers>/);
  });

  it('names deployments as the report prints them', () => {
    expect(describeTopology({ apis: 1, workers: 1, embedded: false })).toBe('two processes');
    expect(describeTopology({ apis: 1, workers: 0, embedded: true })).toBe('embedded worker');
    expect(describeTopology({ apis: 2, workers: 2, embedded: false })).toBe('2 APIs + 2 workers');
    expect(describeTopology({ apis: 2, workers: 1, embedded: true })).toBe(
      '2 APIs (embedded worker) + 1 worker',
    );
  });

  it('compares a topology with the single API of the same worker placement', () => {
    const summary = (throughput: number, p50: number, p99: number) =>
      summarizeRounds([
        {
          sequential: [p50, p50, p99],
          concurrent: [p50, p99],
          completed: throughput,
          errors: 0,
          elapsedMs: 1000,
        },
      ]);
    const c = compareTopology(
      'openai:ok',
      { apis: 2, workers: 2, embedded: true },
      summary(30, 60, 120),
      summary(20, 50, 100),
    );
    expect(c).toMatchObject({
      route: 'openai:ok',
      topology: '2x2e',
      baseline: topologyKey({ apis: 1, workers: 0, embedded: true }),
      throughput: { topology: 30, baseline: 20, ratio: 1.5 },
      concurrent: { topology: { p50: 60, p99: 120 }, baseline: { p50: 50, p99: 100 } },
      sequential: { topology: { p50: 60, p99: 120 }, baseline: { p50: 50, p99: 100 } },
    });
  });
});

describe('floor shapes', () => {
  it('describes steps as runs, with the workflow tasks they cost', () => {
    expect(describeSteps([], false)).toBe('plain start, 1 WFT');
    expect(describeSteps(['local', 'local', 'local', 'local'], true)).toBe(
      'eager start, 1 WFT: 4 LA',
    );
    expect(describeSteps(['local', 'activity', 'local', 'local'], false)).toBe(
      'plain start, 2 WFT: 1 LA, 1 act, 2 LA',
    );
  });

  it('keys shapes by start mode and steps', () => {
    expect(shapeKey({ steps: ['local'], eager: true })).not.toBe(
      shapeKey({ steps: ['local'], eager: false }),
    );
    expect(shapeKey({ steps: [], eager: true })).toBe(shapeKey({ steps: [], eager: true }));
  });
});

describe('round statistics', () => {
  it('p50 is the median of round medians, p99 pooled, throughput the median of rounds', () => {
    const summary = summarizeRounds([
      { sequential: [10, 11, 12], concurrent: [20], completed: 100, errors: 0, elapsedMs: 1000 },
      { sequential: [30, 31, 32], concurrent: [21], completed: 300, errors: 1, elapsedMs: 1000 },
      { sequential: [20, 21, 99], concurrent: [22], completed: 200, errors: 0, elapsedMs: 1000 },
    ]);
    expect(summary.sequential.p50).toBe(21);
    expect(summary.sequential.p99).toBe(99);
    expect(summary.throughput).toBe(200);
    expect(summary.errors).toBe(1);
    expect(summary.concurrent.n).toBe(3);
  });

  it('ratios are null without a floor', () => {
    expect(ratio(30, 20)).toBe(1.5);
    expect(ratio(30, 0)).toBeNull();
    expect(ratio(30, undefined)).toBeNull();
  });

  it('rotates the order round by round', () => {
    expect(rotate([1, 2, 3], 0)).toEqual([1, 2, 3]);
    expect(rotate([1, 2, 3], 4)).toEqual([2, 3, 1]);
    expect(rotate([], 2)).toEqual([]);
  });
});
