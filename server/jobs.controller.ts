import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { AuthedRequest } from './auth.guard';
import type { JobBody } from '../shared/contracts/http';
import { JobReader } from './job-reader';

@Controller('v1/jobs')
export class JobsController {
  constructor(@Inject(JobReader) private readonly jobs: JobReader) {}

  @Get(':id')
  get(@Param('id') id: string, @Req() req: AuthedRequest): Promise<JobBody> {
    return this.jobs.get({ tenant: req.tenant, jobId: id });
  }
}
