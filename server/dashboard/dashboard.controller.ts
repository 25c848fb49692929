import { Controller, Get, Inject } from '@nestjs/common';
import type { DashboardBody } from '../../shared/contracts/dashboard';
import { Role } from '../../shared/tenancy/directory';
import { Roles } from '../auth.guard';
import { DashboardService } from './dashboard.service';

/** `GET /v1/admin/dashboard`: the operator dashboard's figures (platform operator only). */
@Controller('v1/admin/dashboard')
@Roles(Role.operator)
export class DashboardController {
  constructor(@Inject(DashboardService) private readonly dashboard: DashboardService) {}

  @Get()
  summary(): Promise<DashboardBody> {
    return this.dashboard.summary(Date.now());
  }
}
