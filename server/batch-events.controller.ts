import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { BatchBody } from '../shared/contracts/batch-http';
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
    await this.streams.follow({
      req,
      res,
      subject: batchId,
      // 404 for a missing batch or another tenant's
      read: (): Promise<BatchBody> => this.batches.get({ tenant: req.tenant, batchId }),
      hasEnded: (view) => view.status !== 'running',
      statusEvent: 'batch.status',
      isEnd: (event) => event.type === 'batch.completed',
      endMessage: (view, event) => endMessage(view, event?.id),
    });
  }
}
