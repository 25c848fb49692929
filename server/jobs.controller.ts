import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { AuthedRequest } from './auth.guard';
import { JobsService, type JobView } from './jobs.service';

@Controller('v1/jobs')
export class JobsController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  @Get(':id')
  get(@Param('id') id: string, @Req() req: AuthedRequest): Promise<JobView> {
    return this.jobs.get({ tenant: req.tenant, jobId: id });
  }
}
