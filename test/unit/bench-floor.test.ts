import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import {
  describeSteps,
  LOCAL_ACTIVITY_MARKER,
  ratio,
  rotate,
  shapeKey,
  shapeOfHistory,
  summarizeRounds,
} from '../../bench/floor/shape';

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

  it('an empty history is the bare shape', () => {
    expect(shapeOfHistory({})).toMatchObject({ workflowTasks: 0, events: 0, steps: [] });
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
