import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { EventType } from '../../shared/contracts/events';
import { Roles, type AuthedRequest } from '../auth.guard';
import { Role } from '../../shared/tenancy/directory';
import { EventStreams } from './event-streams';

const REVIEW_EVENTS: ReadonlySet<EventType> = new Set([
  'review.requested',
  'review.decided',
  'review.expired',
]);

/**
 * `GET /v1/reviews/events` (reviewer role): the tenant's review queue as it changes, as
 * server-sent events — `review.requested` when a job starts waiting for a person,
 * `review.decided` / `review.expired` when it stops — so a reviewer's page updates the moment
 * something changes instead of polling. Open until the client leaves; `Last-Event-ID` resumes.
 * Registered before the reviews controller, whose `:jobId` would otherwise take `events`.
 */
@Controller('v1/reviews')
@Roles(Role.reviewer)
export class ReviewEventsController {
  constructor(@Inject(EventStreams) private readonly streams: EventStreams) {}

  @Get('events')
  async events(@Req() req: AuthedRequest, @Res() res: Response): Promise<void> {
    const afterId = this.streams.resumeAfter(req) ?? (await this.streams.latestId());
    this.streams.open({
      req,
      res,
      subject: { tenant: req.tenant.id },
      afterId,
      first: { event: 'reviews.open', data: { tenantId: req.tenant.id } },
      step: (event) => ({
        ...(REVIEW_EVENTS.has(event.type)
          ? {
              message: {
                id: event.id,
                event: event.type,
                data: { ...event.data, at: new Date(event.at).toISOString() },
              },
            }
          : {}),
        last: false,
      }),
    });
  }
}
