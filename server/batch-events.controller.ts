import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { BatchBody } from '../shared/contracts/batch-http';
import type { KeelEvent } from '../shared/contracts/events';
import type { AuthedRequest } from './auth.guard';
import { BatchesService } from './batches.service';
import { EventStreams } from './events/event-streams';
import type { SseMessage } from './events/sse';

const endMessage = (view: BatchBody, id?: number): SseMessage => ({
  ...(id !== undefined ? { id } : {}),
  event: 'batch.completed',
  data: view,
});

/**
 * `GET /v1/batches/{id}/events`: the batch's progress as server-sent events from the event log:
 * first `batch.status` (the batch as `GET /v1/batches/{id}` returns it), then `batch.progress`
 * (at most one a second: counts and cost), and last `batch.completed` with the whole batch (its
 * `status` says completed or cancelled), after which the stream closes. `Last-Event-ID` resumes.
 */
@Controller('v1/batches')
export class BatchEventsController {
  constructor(
    @Inject(BatchesService) private readonly batches: BatchesService,
    @Inject(EventStreams) private readonly streams: EventStreams,
  ) {}

  @Get(':id/events')
  async events(
    @Param('id') batchId: string,
    @Req() req: AuthedRequest,
    @Res() res: Response,
  ): Promise<void> {
    const afterId = this.streams.resumeAfter(req);
    const read = (): Promise<BatchBody> => this.batches.get({ tenant: req.tenant, batchId });
    const view = await read(); // 404 for a missing batch or another tenant's
    const step = async (event: KeelEvent) =>
      event.type === 'batch.completed'
        ? { message: endMessage(await read(), event.id), last: true }
        : { message: { id: event.id, event: event.type, data: event.data }, last: false };
    // An ended batch: a resuming client gets what it missed, a new one the end at once.
    if (view.status !== 'running') {
      return this.streams.replay({
        req,
        res,
        subject: batchId,
        afterId: afterId ?? Number.MAX_SAFE_INTEGER,
        step,
        end: endMessage(view),
      });
    }
    this.streams.open({
      req,
      res,
      subject: batchId,
      afterId: afterId ?? 0,
      ...(afterId === undefined ? { first: { event: 'batch.status', data: view } } : {}),
      step,
      check: async () => {
        const now = await read();
        return now.status !== 'running' ? endMessage(now) : undefined;
      },
    });
  }
}
