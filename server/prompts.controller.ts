import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type {
  PromptRolloutResultBody,
  PromptStatsBody,
  PromptVersionBody,
  PromptVersionListBody,
} from '../shared/contracts/prompts';
import { Role } from '../shared/tenancy/directory';
import { Roles, type AuthedRequest } from './auth.guard';
import { PromptsService } from './prompts.service';

/**
 * The prompt registry (docs/prompt-registry.md): versions, rollouts and per-version figures of a
 * task. The operator's are global (or a named tenant's); a tenant admin's its tenant's overrides.
 */
@Controller('v1/admin/prompts/:task')
@Roles(Role.admin)
export class PromptsController {
  constructor(@Inject(PromptsService) private readonly prompts: PromptsService) {}

  @Post('versions')
  @HttpCode(201)
  create(
    @Param('task') task: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<PromptVersionBody> {
    return this.prompts.create(req.tenant, task, body, Date.now());
  }

  @Get('versions')
  list(
    @Param('task') task: string,
    @Query() query: unknown,
    @Req() req: AuthedRequest,
  ): Promise<PromptVersionListBody> {
    return this.prompts.list(req.tenant, task, query);
  }

  @Put('rollout')
  putRollout(
    @Param('task') task: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<PromptRolloutResultBody> {
    return this.prompts.putRollout(req.tenant, task, body, Date.now());
  }

  @Get('stats')
  stats(
    @Param('task') task: string,
    @Query() query: unknown,
    @Req() req: AuthedRequest,
  ): Promise<PromptStatsBody> {
    return this.prompts.stats(req.tenant, task, query);
  }
}
