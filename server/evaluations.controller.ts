import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import type { EvaluationsBody } from '../shared/contracts/evaluations';
import { Role } from '../shared/tenancy/directory';
import { Roles, type AuthedRequest } from './auth.guard';
import { EvaluationsService } from './evaluations.service';

/**
 * `GET /v1/evaluations` (docs/evaluation.md): hallucination and unsafe-output rates of the
 * sampled live answers. A tenant admin reads its own tenant's; the platform operator every
 * tenant's.
 */
@Controller('v1/evaluations')
@Roles(Role.admin)
export class EvaluationsController {
  constructor(@Inject(EvaluationsService) private readonly evaluations: EvaluationsService) {}

  @Get()
  report(@Query() query: unknown, @Req() req: AuthedRequest): Promise<EvaluationsBody> {
    return this.evaluations.report(req.tenant, query, Date.now());
  }
}
