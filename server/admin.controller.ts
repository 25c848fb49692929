import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type {
  DataKeyRotationBody,
  ErasureBody,
  KeyBody,
  TenantBody,
  UsageBody,
} from '../shared/contracts/admin';
import type { PlanDefinition } from '../shared/tenancy/plans';
import { AdminService } from './admin.service';
import { DataKeysService } from './data-keys.service';
import { ErasureService } from './erasure.service';
import { Roles, type AuthedRequest } from './auth.guard';
import { Role } from '../shared/tenancy/directory';

/** Tenants, keys and plans. A tenant admin sees only its tenant; the operator sees all. */
@Controller('v1/admin')
@Roles(Role.admin)
export class AdminController {
  constructor(
    @Inject(AdminService) private readonly admin: AdminService,
    @Inject(ErasureService) private readonly erasure: ErasureService,
    @Inject(DataKeysService) private readonly dataKeys: DataKeysService,
  ) {}

  @Post('tenants')
  @HttpCode(201)
  createTenant(@Body() body: unknown, @Req() req: AuthedRequest): Promise<TenantBody> {
    return this.admin.createTenant(req.tenant, body, Date.now());
  }

  @Get('tenants')
  listTenants(
    @Query() query: { limit?: string; after?: string },
    @Req() req: AuthedRequest,
  ): Promise<{ items: TenantBody[]; next?: string }> {
    return this.admin.listTenants(req.tenant, query);
  }

  @Get('tenants/:id')
  getTenant(@Param('id') id: string, @Req() req: AuthedRequest): Promise<TenantBody> {
    return this.admin.getTenant(req.tenant, id);
  }

  @Patch('tenants/:id')
  updateTenant(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<TenantBody> {
    return this.admin.updateTenant(req.tenant, id, body, Date.now());
  }

  @Post('tenants/:id/keys')
  @HttpCode(201)
  createKey(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<KeyBody & { key: string }> {
    return this.admin.createKey(req.tenant, id, body, Date.now());
  }

  @Get('tenants/:id/keys')
  listKeys(@Param('id') id: string, @Req() req: AuthedRequest): Promise<{ items: KeyBody[] }> {
    return this.admin.listKeys(req.tenant, id);
  }

  @Post('tenants/:id/keys/:keyId/rotate')
  @HttpCode(201)
  rotateKey(
    @Param('id') id: string,
    @Param('keyId') keyId: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<KeyBody & { key: string; replaces: KeyBody }> {
    return this.admin.rotateKey(req.tenant, id, keyId, body, Date.now());
  }

  /** A new data key for the tenant's payloads (tenant data keys on; docs/encryption.md). */
  @Post('tenants/:id/data-keys/rotate')
  @HttpCode(201)
  rotateDataKey(@Param('id') id: string, @Req() req: AuthedRequest): Promise<DataKeyRotationBody> {
    return this.dataKeys.rotate(req.tenant, id, Date.now());
  }

  /** Erase the tenant's jobs and rows (operator; the tenant suspended; `{confirm: id}`). */
  @Post('tenants/:id/erase')
  @HttpCode(202)
  erase(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<ErasureBody> {
    return this.erasure.start(req.tenant, id, body);
  }

  @Get('tenants/:id/erasure')
  erasureStatus(@Param('id') id: string, @Req() req: AuthedRequest): Promise<ErasureBody> {
    return this.erasure.status(req.tenant, id);
  }

  @Delete('tenants/:id/keys/:keyId')
  revokeKey(
    @Param('id') id: string,
    @Param('keyId') keyId: string,
    @Req() req: AuthedRequest,
  ): Promise<KeyBody> {
    return this.admin.revokeKey(req.tenant, id, keyId, Date.now());
  }

  @Get('plans')
  listPlans(): Promise<{ items: PlanDefinition[] }> {
    return this.admin.listPlans();
  }

  @Put('plans/:id')
  putPlan(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<PlanDefinition> {
    return this.admin.putPlan(req.tenant, id, body, Date.now());
  }
}

/** Usage and cost, per tenant; the operator sees every tenant. */
@Controller('v1/usage')
@Roles(Role.admin)
export class UsageController {
  constructor(@Inject(AdminService) private readonly admin: AdminService) {}

  @Get()
  usage(@Query() query: unknown, @Req() req: AuthedRequest): Promise<UsageBody> {
    return this.admin.usage(req.tenant, query, Date.now());
  }
}
