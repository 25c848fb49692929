import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import type { AuditPageBody, AuditVerificationBody } from '../shared/contracts/audit';
import { Role } from '../shared/tenancy/directory';
import { AuditService } from './audit.service';
import { Roles, type AuthedRequest } from './auth.guard';

/** The audit trail: a tenant admin reads and verifies its own chain, the operator any. */
@Controller('v1/audit')
@Roles(Role.admin)
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  list(@Query() query: unknown, @Req() req: AuthedRequest): Promise<AuditPageBody> {
    return this.audit.list(req.tenant, query);
  }

  @Get('verify')
  verify(@Query() query: unknown, @Req() req: AuthedRequest): Promise<AuditVerificationBody> {
    return this.audit.verify(req.tenant, query);
  }
}
