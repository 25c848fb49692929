import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import {
  CreateWebhookBody,
  DeliveriesQuery,
  MAX_WEBHOOKS_PER_TENANT,
  RotateSecretBody,
  UpdateWebhookBody,
  webhookMessageId,
  webhookWorkflowId,
  type DeliveryBody,
  type WebhookBody,
} from '../shared/contracts/webhooks';
import type { KeelConfig } from '../shared/platform/config';
import type { Tenancy } from '../shared/tenancy/open';
import type { WebhookDelivery, WebhookEndpoint } from '../shared/tenancy/store';
import { checkDestination, DestinationRefusedError } from '../shared/webhooks/destination';
import { newWebhookSecret } from '../shared/webhooks/signature';
import { startWebhookDelivery } from '../shared/webhooks/start-delivery';
import { AuditService } from './audit.service';
import { isOperator, scopedTenant } from './tenant-scope';
import { parse, ProblemError } from './problem';
import { type Tenant } from '../shared/tenancy/directory';
import { CONFIG, TEMPORAL_CLIENT, TENANCY } from './tokens';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The webhooks admin API. A tenant admin sees and changes only its tenant's endpoints (another
 * tenant's endpoint is not found); the platform operator sees every tenant's and may create one
 * for any tenant (`tenant`). Secrets are shown once, when made.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(TENANCY) private readonly tenancy: Tenancy,
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(AuditService) private readonly trail: AuditService,
  ) {}

  private get store(): Tenancy['store'] {
    return this.tenancy.store;
  }

  async create(
    actor: Tenant,
    body: unknown,
    now: number,
  ): Promise<WebhookBody & { secret: string }> {
    const b = parse(CreateWebhookBody, body, 'body');
    const tenantId = scopedTenant(actor, b.tenant, 'tenant') ?? actor.id;
    if (!(await this.store.getTenant(tenantId)))
      throw ProblemError.of('tenant-not-found', `No tenant "${tenantId}".`);
    const url = await this.destination(b.url);
    if ((await this.store.webhooks.countEndpoints(tenantId)) >= MAX_WEBHOOKS_PER_TENANT) {
      throw ProblemError.of(
        'webhook-limit-reached',
        `A tenant has at most ${MAX_WEBHOOKS_PER_TENANT} webhook endpoints.`,
        { limit: MAX_WEBHOOKS_PER_TENANT },
      );
    }
    const secret = newWebhookSecret();
    const made = await this.store.webhooks.createEndpoint(
      {
        id: `wh_${randomBytes(15).toString('base64url')}`,
        tenantId,
        url,
        events: b.events,
        description: b.description,
        secret,
      },
      now,
    );
    await this.trail.record(
      actor,
      tenantId,
      'webhook.created',
      { webhookId: made.id, events: made.events },
      now,
    );
    return { ...webhookBody(made, now), secret };
  }

  async list(actor: Tenant, query: { tenant?: string }): Promise<{ items: WebhookBody[] }> {
    const extra = Object.keys(query).filter((k) => k !== 'tenant');
    if (extra.length > 0) {
      throw ProblemError.of('invalid-request', 'Invalid query parameters.', {
        errors: extra.map((k) => ({ field: `query.${k}`, message: 'unknown field' })),
      });
    }
    const tenantId = scopedTenant(actor, query.tenant);
    const now = Date.now();
    const items = await this.store.webhooks.listEndpoints(tenantId);
    return { items: items.map((e) => webhookBody(e, now)) };
  }

  async get(actor: Tenant, id: string): Promise<WebhookBody> {
    return webhookBody(await this.visible(actor, id), Date.now());
  }

  async update(actor: Tenant, id: string, body: unknown, now: number): Promise<WebhookBody> {
    const endpoint = await this.visible(actor, id);
    const b = parse(UpdateWebhookBody, body, 'body');
    const url = b.url !== undefined ? await this.destination(b.url) : undefined;
    const updated = await this.store.webhooks.updateEndpoint(
      endpoint.id,
      {
        ...(url !== undefined ? { url } : {}),
        ...(b.events !== undefined ? { events: b.events } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      },
      now,
    );
    if (!updated) throw ProblemError.of('webhook-not-found', `No webhook "${id}".`);
    await this.trail.record(
      actor,
      endpoint.tenantId,
      'webhook.updated',
      {
        webhookId: endpoint.id,
        fields: Object.keys(b).sort(),
        ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      },
      now,
    );
    return webhookBody(updated, now);
  }

  /** Deletes the endpoint and its log; answers the endpoint as it was. */
  async remove(actor: Tenant, id: string): Promise<WebhookBody> {
    const endpoint = await this.visible(actor, id);
    await this.store.webhooks.deleteEndpoint(endpoint.id);
    const now = Date.now();
    await this.trail.record(
      actor,
      endpoint.tenantId,
      'webhook.deleted',
      { webhookId: endpoint.id },
      now,
    );
    return webhookBody(endpoint, now);
  }

  /** A new secret (shown this once); the old one keeps signing for `overlapSeconds`. */
  async rotateSecret(
    actor: Tenant,
    id: string,
    body: unknown,
    now: number,
  ): Promise<WebhookBody & { secret: string }> {
    const endpoint = await this.visible(actor, id);
    const b = parse(RotateSecretBody, body, 'body');
    const secret = newWebhookSecret();
    const rotated = await this.store.webhooks.rotateSecret(
      endpoint.id,
      secret,
      now + b.overlapSeconds * 1000,
      now,
    );
    if (!rotated) throw ProblemError.of('webhook-not-found', `No webhook "${id}".`);
    await this.trail.record(
      actor,
      endpoint.tenantId,
      'webhook.secret-rotated',
      { webhookId: endpoint.id, overlapSeconds: b.overlapSeconds },
      now,
    );
    return { ...webhookBody(rotated, now), secret };
  }

  async deliveries(
    actor: Tenant,
    id: string,
    query: unknown,
  ): Promise<{ items: DeliveryBody[]; next?: string }> {
    const endpoint = await this.visible(actor, id);
    const q = parse(DeliveriesQuery, query, 'query');
    let before: WebhookDelivery | undefined;
    if (q.before !== undefined) {
      before = await this.store.webhooks.getDelivery(q.before, endpoint.id);
      if (!before) {
        throw ProblemError.of('invalid-request', 'Invalid query parameters.', {
          errors: [{ field: 'query.before', message: 'no such delivery of this endpoint' }],
        });
      }
    }
    const rows = await this.store.webhooks.listDeliveries(endpoint.id, {
      limit: q.limit + 1,
      ...(before ? { before: { createdAt: before.createdAt, id: before.id } } : {}),
    });
    const items = rows.slice(0, q.limit).map(deliveryBody);
    return rows.length > q.limit ? { items, next: items.at(-1)!.id } : { items };
  }

  /** Sends a delivery's event again (same `webhook-id`), as a workflow of its own. */
  async redeliver(
    actor: Tenant,
    id: string,
    deliveryId: string,
    now: number,
  ): Promise<DeliveryBody> {
    const endpoint = await this.visible(actor, id);
    const delivery = await this.store.webhooks.getDelivery(deliveryId, endpoint.id);
    if (!delivery)
      throw ProblemError.of(
        'delivery-not-found',
        `No delivery "${deliveryId}" of webhook "${id}".`,
      );
    if (delivery.state === 'pending') throw ProblemError.of('delivery-in-progress');
    const reopened = await this.store.webhooks.reopenDelivery(delivery.id, now);
    if (!reopened)
      throw ProblemError.of(
        'delivery-not-found',
        `No delivery "${deliveryId}" of webhook "${id}".`,
      );
    try {
      await startWebhookDelivery(this.client, {
        taskQueue: this.config.taskQueue,
        workflowId: webhookWorkflowId(endpoint.id, delivery.eventId, reopened.redeliveries),
        args: { deliveryId: delivery.id, initialIntervalMs: this.config.webhooks.retryInitialMs },
      });
    } catch (err) {
      await this.store.webhooks.finishDelivery(delivery.id, delivery.state);
      throw ProblemError.of(
        'temporal-unavailable',
        'The redelivery could not be started; retry shortly.',
        {},
        { headers: { 'retry-after': '5' }, cause: err },
      );
    }
    return deliveryBody(reopened);
  }

  private async destination(raw: string): Promise<string> {
    try {
      return (await checkDestination(raw, { allowPrivate: this.config.webhooks.allowPrivate }))
        .href;
    } catch (err) {
      if (!(err instanceof DestinationRefusedError)) throw err;
      throw ProblemError.of('webhook-url-refused', `The webhook URL is refused: ${err.reason}.`, {
        errors: [{ field: 'url', message: err.reason }],
      });
    }
  }

  /** The endpoint, if this key may see it; another tenant's is not found. */
  private async visible(actor: Tenant, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.store.webhooks.getEndpoint(
      id,
      isOperator(actor) ? undefined : actor.id,
    );
    if (!endpoint) throw ProblemError.of('webhook-not-found', `No webhook "${id}".`);
    return endpoint;
  }
}

function webhookBody(e: WebhookEndpoint, now: number): WebhookBody {
  const overlapping = e.previousSecret !== null && (e.previousExpiresAt ?? 0) > now;
  return {
    id: e.id,
    tenantId: e.tenantId,
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    previousSecretExpiresAt: overlapping ? iso(e.previousExpiresAt) : null,
    createdAt: iso(e.createdAt)!,
    updatedAt: iso(e.updatedAt)!,
  };
}

function deliveryBody(d: WebhookDelivery): DeliveryBody {
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventId: webhookMessageId(d.eventId),
    eventType: d.eventType,
    state: d.state,
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    lastAttemptAt: iso(d.lastAttemptAt),
    nextAttemptAt: iso(d.nextAttemptAt),
    deliveredAt: iso(d.deliveredAt),
    redeliveries: d.redeliveries,
    createdAt: iso(d.createdAt)!,
  };
}
