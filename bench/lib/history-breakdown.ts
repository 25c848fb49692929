import { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;
const STICKY = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY;

/**
 * Where a workflow's time went, from its history: waiting in a task queue (workflow tasks,
 * activity tasks) or running on a worker, in ms. What is left of a caller's latency past the
 * workflow's own span is the API's (admission, the start, the wait for the result).
 */
export interface HistoryBreakdown {
  /** First event to the close event. */
  totalMs: number;
  /** Workflow tasks, scheduled → started: the wait in the task queue (a fair one)… */
  workflowTaskQueueMs: number;
  /** …and in a worker's sticky queue (a workflow's later tasks go to the worker that has it). */
  workflowTaskStickyMs: number;
  workflowTasks: number;
  /** Workflow tasks, started → completed: the worker's run (local activities included). */
  workflowTaskRunMs: number;
  /** Activity tasks, scheduled → started. */
  activityQueueMs: number;
  /** Activity tasks, started → completed/failed. */
  activityRunMs: number;
}

const msOf = (e: Event): number => {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1_000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
};

/** Sums the queue and run spans of one history's workflow and activity tasks. */
export function historyBreakdown(events: readonly Event[]): HistoryBreakdown {
  const byId = new Map<number, Event>();
  for (const e of events) byId.set(Number(e.eventId), e);
  const since = (id: unknown, e: Event): number => {
    const from = byId.get(Number(id));
    return from ? msOf(e) - msOf(from) : 0;
  };
  const out: HistoryBreakdown = {
    totalMs: events.length ? msOf(events.at(-1)!) - msOf(events[0]!) : 0,
    workflowTaskQueueMs: 0,
    workflowTaskStickyMs: 0,
    workflowTasks: 0,
    workflowTaskRunMs: 0,
    activityQueueMs: 0,
    activityRunMs: 0,
  };
  for (const e of events) {
    const wftStarted = e.workflowTaskStartedEventAttributes;
    if (wftStarted) {
      const scheduled = byId.get(Number(wftStarted.scheduledEventId));
      const sticky = scheduled?.workflowTaskScheduledEventAttributes?.taskQueue?.kind === STICKY;
      if (sticky) out.workflowTaskStickyMs += since(wftStarted.scheduledEventId, e);
      else out.workflowTaskQueueMs += since(wftStarted.scheduledEventId, e);
      out.workflowTasks++;
    }
    const wftDone =
      e.workflowTaskCompletedEventAttributes ??
      e.workflowTaskFailedEventAttributes ??
      e.workflowTaskTimedOutEventAttributes;
    if (wftDone) out.workflowTaskRunMs += since(wftDone.startedEventId, e);
    const actStarted = e.activityTaskStartedEventAttributes;
    if (actStarted) out.activityQueueMs += since(actStarted.scheduledEventId, e);
    const actDone =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    if (actDone) out.activityRunMs += since(actDone.startedEventId, e);
  }
  return out;
}
