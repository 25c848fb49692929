import { Inject, Injectable } from '@nestjs/common';
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { JobStatus, type JobStep, type RunTaskResult } from '../shared/contracts/job';
import { SearchAttr, getJobStateQuery } from '../shared/contracts/messages';
import { jobAborts } from '../shared/platform/job-aborts';
import { hasEnded, problemForFailure, statusOf } from './job-status';
import { ProblemError, type Problem } from './problem';
import type { Tenant } from '../shared/tenancy/directory';
import { TEMPORAL_CLIENT } from './tokens';

/** `GET /v1/jobs/{id}`: a job as its tenant sees it. */
export interface JobView {
  jobId: string;
  task: string;
  status: JobStatus;
  output?: unknown;
  meta?: RunTaskResult['meta'];
  error?: Problem;
  steps?: JobStep[];
}

/** How long `POST /v1/jobs/{id}/cancel` waits for the run to close before answering 202. */
export const CANCEL_WAIT_MS = 3_000;

const JOB_ID =
  /^([a-z0-9]+(?:-[a-z0-9]+)*)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Reads jobs back: `describe` for the status, the result or failure, the job-state query. */
@Injectable()
export class JobReader {
  constructor(@Inject(TEMPORAL_CLIENT) private readonly client: Client) {}

  /** Another tenant's job is a 404, the same as a missing one. */
  async get(args: { tenant: Tenant; jobId: string }): Promise<JobView> {
    const view = await this.status(args);
    const handle = this.client.workflow.getHandle(args.jobId);
    if (view.status === JobStatus.completed) {
      const result = (await handle.result()) as RunTaskResult;
      view.output = result.output;
      view.meta = result.meta;
      view.steps = result.steps;
    } else if (view.status !== JobStatus.running && view.status !== JobStatus.awaitingReview) {
      try {
        await handle.result();
      } catch (err) {
        view.error = problemForFailure(err, args.jobId).toProblem();
      }
    }
    if (!view.steps) {
      try {
        view.steps = (await handle.query(getJobStateQuery)).steps;
      } catch {
        // Steps of an unfinished job need a worker to answer the query; the status does not.
      }
    }
    return view;
  }

  /**
   * The job's status from `describe` alone (no query: a query waits while a workflow task is
   * open, e.g. for a local activity's call). Another tenant's job is a 404.
   */
  private async status(args: { tenant: Tenant; jobId: string }): Promise<JobView> {
    const notFound = ProblemError.of('job-not-found', `There is no job "${args.jobId}".`);
    const match = JOB_ID.exec(args.jobId);
    if (!match) throw notFound;
    let desc: WorkflowExecutionDescription;
    try {
      desc = await this.client.workflow.getHandle(args.jobId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound;
      throw err;
    }
    if (desc.typedSearchAttributes.get(SearchAttr.tenant) !== args.tenant.id) throw notFound;
    return { jobId: args.jobId, task: match[1] ?? '', status: statusOf(desc) };
  }

  /**
   * Cancels a running job (the workflow's cancellation: an in-flight model call is aborted, a
   * pending review withdrawn) and waits up to `CANCEL_WAIT_MS` for the run to close, so the
   * answer usually says `cancelled`. A job that has ended is a 409 `job-ended`.
   */
  async cancel(args: { tenant: Tenant; jobId: string }): Promise<JobView> {
    const view = await this.status(args);
    const ended = (status: JobStatus): ProblemError =>
      ProblemError.of('job-ended', `The job has already ended (${status}).`, {
        jobId: args.jobId,
      });
    if (hasEnded(view.status)) throw ended(view.status);
    const handle = this.client.workflow.getHandle(args.jobId);
    try {
      await handle.cancel();
    } catch (err) {
      // It ended between the read and the cancel.
      const now = await this.status(args);
      if (hasEnded(now.status)) throw ended(now.status);
      throw err;
    }
    // A call running as a local activity in this process stops now, not at the workflow task's
    // next heartbeat (shared/platform/job-aborts.ts).
    jobAborts.abort(args.jobId);
    await this.waitForEnd(args.jobId, CANCEL_WAIT_MS);
    return this.get(args);
  }

  /**
   * Waits (one long poll, no polling) until the job's run has closed, or `ms` has passed. Its
   * end event is written just before the run closes, so a reader told of it may be early.
   */
  async waitForEnd(jobId: string, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.client.workflow
        .getHandle(jobId)
        .result()
        .catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }
}
