import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { z } from 'zod';
import { toFieldErrors } from '../shared/contracts/errors';
import type {
  ReviewDecisionResultBody,
  ReviewItemBody,
  ReviewListBody,
} from '../shared/contracts/http';
import { Roles, type AuthedRequest } from './auth.guard';
import { invalidRequest } from './problem';
import { MAX_REVIEWS_PER_PAGE, ReviewsService } from './reviews.service';
import { Role } from '../shared/tenancy/directory';

const ListQuery = z
  .object({
    task: z.string().optional(),
    minAgeMs: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_REVIEWS_PER_PAGE).default(100),
  })
  .strict();

/** The reviewer's queue. Reviewers see only their own tenant's items. */
@Controller('v1/reviews')
@Roles(Role.reviewer)
export class ReviewsController {
  constructor(@Inject(ReviewsService) private readonly reviews: ReviewsService) {}

  @Get()
  list(@Query() query: unknown, @Req() req: AuthedRequest): Promise<ReviewListBody> {
    const q = ListQuery.safeParse(query);
    if (!q.success)
      throw invalidRequest('Invalid query parameters.', toFieldErrors(q.error.issues, 'query'));
    return this.reviews.list({
      tenant: req.tenant,
      task: ReviewsService.taskFilter(q.data.task),
      minAgeMs: q.data.minAgeMs,
      limit: q.data.limit,
      now: Date.now(),
    });
  }

  @Get(':jobId')
  get(@Param('jobId') jobId: string, @Req() req: AuthedRequest): Promise<ReviewItemBody> {
    return this.reviews.get(req.tenant, jobId);
  }

  @Post(':jobId')
  @HttpCode(200)
  decide(
    @Param('jobId') jobId: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<ReviewDecisionResultBody> {
    return this.reviews.decide(req.tenant, jobId, body);
  }
}
