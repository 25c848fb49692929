import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';

/** How often retention runs unless configured: once a day. */
export const RETENTION_EVERY_MS = 24 * 3600 * 1000;

/** The schedule of a deployment (its task queue): one per namespace and task queue. */
export const retentionScheduleId = (taskQueue: string): string => `keel-retention-${taskQueue}`;

export interface RetentionScheduleOptions {
  client: Client;
  /** The deployment's task queue: its workers run the retention workflow against its store. */
  taskQueue: string;
  /** How often it runs, ≥ 1 s (Temporal rounds to seconds). @default RETENTION_EVERY_MS */
  everyMs?: number;
}

/**
 * Creates the Temporal Schedule that runs `enforceRetention` (docs/governance.md#retention), or
 * brings an existing one to this interval and task queue; idempotent, safe from several processes
 * at boot. A run still going when the next is due makes that one skip (overlap SKIP); after an
 * outage, one missed run is made up within an interval. Each run is a
 * workflow `keel-retention-<queue>-<time>` in the Web UI; its result holds the counts.
 */
export async function ensureRetentionSchedule(
  opts: RetentionScheduleOptions,
): Promise<'created' | 'updated' | 'unchanged'> {
  const every = Math.max(1_000, opts.everyMs ?? RETENTION_EVERY_MS);
  const scheduleId = retentionScheduleId(opts.taskQueue);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'enforceRetention',
    workflowId: scheduleId,
    taskQueue: opts.taskQueue,
    args: [{}],
  };
  try {
    await opts.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every }] },
      action,
      policies: { overlap: 'SKIP', catchupWindow: Math.max(every, 60_000) },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = opts.client.schedule.getHandle(scheduleId);
  const current = await handle.describe();
  const interval = current.spec.intervals?.[0];
  if (
    current.spec.intervals?.length === 1 &&
    interval?.every === every &&
    current.action.taskQueue === opts.taskQueue &&
    current.action.workflowType === action.workflowType
  )
    return 'unchanged';
  await handle.update((prev) => ({
    ...prev,
    spec: { intervals: [{ every }] },
    action,
    policies: { ...prev.policies, overlap: 'SKIP', catchupWindow: Math.max(every, 60_000) },
  }));
  return 'updated';
}

/** What it logs with: Keel's pino logger, or anything with these two calls. */
export interface BootLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * At boot (a worker, or the API with its embedded worker): the schedule ensured, and a Temporal
 * that refuses (no schedules allowed for this key) logged, not fatal: jobs still run, only
 * retention does not until it is created.
 */
export async function registerRetentionSchedule(
  opts: RetentionScheduleOptions,
  logger: BootLogger,
): Promise<void> {
  try {
    const outcome = await ensureRetentionSchedule(opts);
    if (outcome !== 'unchanged')
      logger.info(
        { scheduleId: retentionScheduleId(opts.taskQueue), outcome },
        'retention schedule',
      );
  } catch (err) {
    logger.warn(
      { err: (err as Error).message, scheduleId: retentionScheduleId(opts.taskQueue) },
      'could not create the retention schedule: retention periods are not enforced',
    );
  }
}
