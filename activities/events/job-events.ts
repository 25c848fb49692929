import type { NewKeelEvent } from '../../shared/contracts/events';
import type { ResultMeta } from '../../shared/contracts/job';
import { problemSlugForFailure } from '../../shared/contracts/problems';
import type { TenantStore } from '../../shared/tenancy/store';
import { jobEndedAudit } from './job-audit';
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

export function createEventActivities(deps: {
  publish: PublishEvent;
  store?: TenantStore;
  now: () => number;
}) {
  return {
    /**
     * Events: the job failed or was cancelled (its stream ends, webhooks are told); the end goes
     * into the tenant's audit trail too.
     */
    async publishJobEnd(args: JobEndArgs): Promise<void> {
      const problem =
        args.status === 'failed' ? problemSlugForFailure(args.failureType) : undefined;
      await deps.store?.audit.append(
        jobEndedAudit({ ...args, ...(problem ? { problem } : {}) }),
        deps.now(),
      );
      await deps.publish({
        tenantId: args.tenantId,
        subject: args.jobId,
        type: args.status === 'failed' ? 'job.failed' : 'job.cancelled',
        key: `job.end:${args.jobId}`,
        data: {
          jobId: args.jobId,
          task: args.task,
          status: args.status,
          ...(problem ? { problem } : {}),
        },
      });
    },
  };
}
