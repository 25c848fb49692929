import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import type { DebugSamplePageBody } from '../shared/contracts/debug-samples';
import { Role } from '../shared/tenancy/directory';
import { Roles, type AuthedRequest } from './auth.guard';
import { DebugSamplesService } from './debug-samples.service';

/** Debug samples (docs/debug-samples.md): a tenant admin reads its own, the operator any. */
@Controller('v1/admin/debug-samples')
@Roles(Role.admin)
export class DebugSamplesController {
  constructor(@Inject(DebugSamplesService) private readonly samples: DebugSamplesService) {}

  @Get()
  list(@Query() query: unknown, @Req() req: AuthedRequest): Promise<DebugSamplePageBody> {
    return this.samples.list(req.tenant, query);
  }
}
