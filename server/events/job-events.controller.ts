import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { JOB_END_EVENTS } from '../../shared/contracts/events';
import { JobStatus } from '../../shared/contracts/job';
import type { AuthedRequest } from '../auth.guard';
import { JobReader, type JobView } from '../job-reader';
import { hasEnded } from '../job-status';
import { EventStreams } from './event-streams';
import type { SseMessage } from './sse';

/** How long a stream waits for the run to close after its end event (written just before). */
const END_WAIT_MS = 10_000;

/** The event that ends a job's stream, carrying the job as `GET /v1/jobs/{id}` returns it. */
function endMessage(view: JobView, id?: number, type?: string): SseMessage {
  const event =
    type ??
    (view.status === JobStatus.completed
      ? 'job.completed'
      : view.status === JobStatus.cancelled
        ? 'job.cancelled'
        : 'job.failed');
  return { ...(id !== undefined ? { id } : {}), event, data: view };
}

/**
 * `GET /v1/jobs/{id}/events`: the job's progress as server-sent events, from the event log (no
 * read of Temporal per event): first `job.status` (the job as polling returns it), then
 * `review.requested`, `review.decided`, `review.expired` as they happen, and last one of
 * `job.completed`, `job.failed`, `job.cancelled` with the whole job, after which the stream
 * closes. `Last-Event-ID` resumes after an event. `POST /v1/jobs/{id}/cancel` cancels.
 */
@Controller('v1/jobs')
export class JobEventsController {
  constructor(
    @Inject(JobReader) private readonly jobs: JobReader,
    @Inject(EventStreams) private readonly streams: EventStreams,
  ) {}

  @Get(':id/events')
  async events(
    @Param('id') jobId: string,
    @Req() req: AuthedRequest,
    @Res() res: Response,
  ): Promise<void> {
    const read = (): Promise<JobView> => this.jobs.get({ tenant: req.tenant, jobId });
    await this.streams.follow({
      req,
      res,
      subject: jobId,
      read, // 404 for a missing job or another tenant's
      hasEnded: (view) => hasEnded(view.status),
      statusEvent: 'job.status',
      isEnd: (event) => JOB_END_EVENTS.includes(event.type),
      endMessage: (view, event) => endMessage(view, event?.id, event?.type),
      // The end event is written in the run's last steps: the job as polling shows it once closed.
      settle: async () => {
        const now = await read();
        if (hasEnded(now.status)) return now;
        await this.jobs.waitForEnd(jobId, END_WAIT_MS);
        return read();
      },
    });
  }

  /** Cancels a running job: 202 with the job, or 200 when it has ended within the wait. */
  @Post(':id/cancel')
  @HttpCode(202)
  async cancel(
    @Param('id') jobId: string,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobView> {
    const view = await this.jobs.cancel({ tenant: req.tenant, jobId });
    if (hasEnded(view.status)) res.status(200);
    return view;
  }
}
