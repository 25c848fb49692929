import type { NewKeelEvent } from '../../shared/contracts/events';
import type { ResultMeta } from '../../shared/contracts/job';
import { problemSlugForFailure } from '../../shared/contracts/problems';
import type { PublishEvent } from './publish';

/** A job's `job.completed` event (one key per job's end, so a retried record writes it once). */
export function jobCompleted(args: {
  jobId: string;
  tenantId: string;
  task: string;
  meta: Pick<ResultMeta, 'path' | 'costUsd'>;
}): NewKeelEvent {
  return {
    tenantId: args.tenantId,
    subject: args.jobId,
    type: 'job.completed',
    key: `job.end:${args.jobId}`,
    data: {
      jobId: args.jobId,
      task: args.task,
      status: 'completed',
      path: args.meta.path,
      costUsd: args.meta.costUsd,
    },
  };
}

/** The end of a job that no other step records: a failure or a cancellation. */
export interface JobEndArgs {
  jobId: string;
  tenantId: string;
  task: string;
  status: 'failed' | 'cancelled';
  /** The failure's type (FailureType), for the problem the job answers with. */
  failureType?: string;
}

export function createEventActivities(deps: { publish: PublishEvent }) {
  return {
    /** Events: the job failed or was cancelled (its stream ends, webhooks are told). */
    async publishJobEnd(args: JobEndArgs): Promise<void> {
      await deps.publish({
        tenantId: args.tenantId,
        subject: args.jobId,
        type: args.status === 'failed' ? 'job.failed' : 'job.cancelled',
        key: `job.end:${args.jobId}`,
        data: {
          jobId: args.jobId,
          task: args.task,
          status: args.status,
          ...(args.status === 'failed' ? { problem: problemSlugForFailure(args.failureType) } : {}),
        },
      });
    },
  };
}
