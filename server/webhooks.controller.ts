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
  Query,
  Req,
} from '@nestjs/common';
import type { DeliveryBody, WebhookBody } from '../shared/contracts/webhooks';
import { Roles, type AuthedRequest } from './auth.guard';
import { Role } from '../shared/tenancy/directory';
import { WebhooksService } from './webhooks.service';

/** Webhook endpoints and their delivery logs (docs/webhooks.md). Tenant admins and the operator. */
@Controller('v1/webhooks')
@Roles(Role.admin)
export class WebhooksController {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  create(
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<WebhookBody & { secret: string }> {
    return this.webhooks.create(req.tenant, body, Date.now());
  }

  @Get()
  list(
    @Query() query: { tenant?: string },
    @Req() req: AuthedRequest,
  ): Promise<{ items: WebhookBody[] }> {
    return this.webhooks.list(req.tenant, query);
  }

  @Get(':id')
  get(@Param('id') id: string, @Req() req: AuthedRequest): Promise<WebhookBody> {
    return this.webhooks.get(req.tenant, id);
  }

  @Patch(':id')
  update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<WebhookBody> {
    return this.webhooks.update(req.tenant, id, body, Date.now());
  }

  @Delete(':id')
  remove(@Param('id') id: string, @Req() req: AuthedRequest): Promise<WebhookBody> {
    return this.webhooks.remove(req.tenant, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  rotateSecret(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: AuthedRequest,
  ): Promise<WebhookBody & { secret: string }> {
    return this.webhooks.rotateSecret(req.tenant, id, body, Date.now());
  }

  @Get(':id/deliveries')
  deliveries(
    @Param('id') id: string,
    @Query() query: unknown,
    @Req() req: AuthedRequest,
  ): Promise<{ items: DeliveryBody[]; next?: string }> {
    return this.webhooks.deliveries(req.tenant, id, query);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  redeliver(
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
    @Req() req: AuthedRequest,
  ): Promise<DeliveryBody> {
    return this.webhooks.redeliver(req.tenant, id, deliveryId, Date.now());
  }
}
