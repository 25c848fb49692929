import { Controller, Get, Inject, Query } from '@nestjs/common';
import type { DriftBody } from '../shared/contracts/drift';
import { Role } from '../shared/tenancy/directory';
import { Roles } from './auth.guard';
import { DriftService } from './drift.service';

/**
 * `GET /v1/drift`: drift per model × prompt version (docs/drift.md). Platform operator only: a
 * series mixes every tenant's traffic on that model.
 */
@Controller('v1/drift')
@Roles(Role.operator)
export class DriftController {
  constructor(@Inject(DriftService) private readonly drift: DriftService) {}

  @Get()
  report(@Query() query: unknown): Promise<DriftBody> {
    return this.drift.report(query, Date.now());
  }
}
