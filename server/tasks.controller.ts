import { Body, Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthedRequest } from './auth.guard';
import { JobsService } from './jobs.service';

@Controller('v1/tasks')
export class TasksController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  /** 200 with the result within the task's sync budget, else 202 + Location; the work goes on. */
  @Post(':task')
  @HttpCode(200)
  async run(
    @Param('task') task: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const outcome = await this.jobs.run({
      tenant: req.tenant,
      taskName: task,
      body,
      requestId: String(req.headers['x-request-id']),
      idempotencyKey: req.header('idempotency-key'),
    });
    if (outcome.kind === 'accepted') {
      res.status(202).location(`/v1/jobs/${outcome.jobId}`);
      return { jobId: outcome.jobId, status: outcome.status };
    }
    const { output, meta } = outcome.result;
    return { jobId: outcome.jobId, status: 'completed', output, meta };
  }
}
