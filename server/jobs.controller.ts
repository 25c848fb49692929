import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { AuthedRequest } from './auth.guard';
import { JobReader, type JobView } from './job-reader';

@Controller('v1/jobs')
export class JobsController {
  constructor(@Inject(JobReader) private readonly jobs: JobReader) {}

  @Get(':id')
  get(@Param('id') id: string, @Req() req: AuthedRequest): Promise<JobView> {
    return this.jobs.get({ tenant: req.tenant, jobId: id });
  }
}
