import { Body, Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { TaskAcceptedBody, TaskCompletedBody } from '../shared/contracts/http';
import type { AuthedRequest } from './auth.guard';
import { elapsedMs } from './http-middleware';
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
  ): Promise<TaskAcceptedBody | TaskCompletedBody> {
    const outcome = await this.jobs.run({
      tenant: req.tenant,
      taskName: task,
      body,
      requestId: String(req.headers['x-request-id']),
      idempotencyKey: req.header('idempotency-key'),
    });
    for (const [name, value] of Object.entries(outcome.headers ?? {})) res.setHeader(name, value);
    if (outcome.kind === 'accepted') {
      res.status(202).location(`/v1/jobs/${outcome.jobId}`);
      return { jobId: outcome.jobId, status: outcome.status };
    }
    const { output, meta } = outcome.result;
    // Keel's own share of the response time: everything but waiting on model providers.
    const providerMs = meta.providerMs ?? 0;
    const overheadMs = Math.max(0, elapsedMs(req) - providerMs);
    res.setHeader('x-keel-overhead-ms', overheadMs.toFixed(2));
    res.setHeader(
      'server-timing',
      `provider;dur=${providerMs.toFixed(1)}, keel;dur=${overheadMs.toFixed(1)}`,
    );
    return { jobId: outcome.jobId, status: 'completed', output, meta };
  }
}
