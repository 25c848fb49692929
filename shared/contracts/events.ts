/**
 * Keel's events: what happened to a job or a batch, in the order it happened. One log feeds the
 * server-sent event streams (`GET /v1/jobs/{id}/events`) and the webhooks, so both tell the same
 * story. An event carries ids, statuses and numbers only, never a task's input or output: a
 * receiver that wants the answer reads the job.
 */
export const EVENT_TYPES = [
  'job.completed',
  'job.failed',
  'job.cancelled',
  'review.requested',
  'review.decided',
  'review.expired',
  'batch.progress',
  'batch.completed',
  'budget.threshold',
  /** A model's behaviour drifted (docs/drift.md): told to each tenant with traffic in the window. */
  'drift.detected',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The events that end a job's stream. */
export const JOB_END_EVENTS: readonly EventType[] = [
  'job.completed',
  'job.failed',
  'job.cancelled',
];

/** An event as it is written: `key` makes a retried write count once. */
export interface NewKeelEvent {
  tenantId: string;
  /** The job or batch id the event is about (a tenant id for tenant-wide events). */
  subject: string;
  type: EventType;
  /** Small and content-free: ids, statuses, counts, costs. */
  data: Record<string, unknown>;
  /** Unique per event; a second write with the same key returns the first event. */
  key: string;
}

export interface KeelEvent {
  /** Increases with every event of the deployment: the SSE event id and the webhook's stable id. */
  id: number;
  tenantId: string;
  subject: string;
  type: EventType;
  data: Record<string, unknown>;
  /** Epoch milliseconds, from the writer's clock. */
  at: number;
}
