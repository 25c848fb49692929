import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { ExperimentBody, ExperimentListBody } from '../shared/contracts/experiments';
import { Role } from '../shared/tenancy/directory';
import { Roles, type AuthedRequest } from './auth.guard';
import { ExperimentsService } from './experiments.service';

/**
 * Shadow tests (docs/experiments.md): the platform operator's on any scope, a tenant admin's on
 * its own tenant's traffic. Reading an experiment is `GET /v1/experiments[/{id}]`; creating and
 * stopping are admin routes.
 */
@Controller()
@Roles(Role.admin)
export class ExperimentsController {
  constructor(@Inject(ExperimentsService) private readonly experiments: ExperimentsService) {}

  @Post('v1/admin/experiments')
  @HttpCode(201)
  create(@Body() body: unknown, @Req() req: AuthedRequest): Promise<ExperimentBody> {
    return this.experiments.create(req.tenant, body, Date.now());
  }

  @Post('v1/admin/experiments/:id/stop')
  @HttpCode(200)
  stop(@Param('id') id: string, @Req() req: AuthedRequest): Promise<ExperimentBody> {
    return this.experiments.stop(req.tenant, id, Date.now());
  }

  @Get('v1/experiments')
  list(@Query() query: unknown, @Req() req: AuthedRequest): Promise<ExperimentListBody> {
    return this.experiments.list(req.tenant, query);
  }

  @Get('v1/experiments/:id')
  get(@Param('id') id: string, @Req() req: AuthedRequest): Promise<ExperimentBody> {
    return this.experiments.get(req.tenant, id);
  }
}
