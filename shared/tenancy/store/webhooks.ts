import type { Kysely, Selectable } from 'kysely';
import type { EventType, KeelEvent } from '../../contracts/events';
import type { PayloadKey } from '../../platform/payload-codec';
import { isSealed, openSecret, sealSecret } from '../../platform/sealed-secret';
import type {
  DeliveryAttempt,
  DeliveryState,
  NewWebhookEndpoint,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointPatch,
} from './webhook-types';
import type { StoreSchema, WebhookDeliveriesTable, WebhookEndpointsTable } from './schema';

export {
  DELIVERY_STATES,
  type DeliveryAttempt,
  type DeliveryState,
  type NewWebhookEndpoint,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointPatch,
} from './webhook-types';

/**
 * Webhook endpoints and their deliveries. An endpoint belongs to one tenant; every query a
 * tenant admin reaches is scoped by tenant, so another tenant's endpoint is simply not found.
 * A delivery is unique per endpoint and event, so an event told twice is delivered once.
 */
export class WebhookStore {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    /**
     * The payload keys: with them, signing secrets are sealed at rest (shared/platform/
     * sealed-secret.ts) and only this process's memory holds them in clear. Without: stored as is.
     */
    private readonly keys?: readonly PayloadKey[],
  ) {}

  private seal(secret: string): string {
    return this.keys?.length ? sealSecret(this.keys, PURPOSE, secret) : secret;
  }

  private fromRow = (row: Selectable<WebhookEndpointsTable>): WebhookEndpoint => {
    const open = (v: string): string => openSecret(this.keys, PURPOSE, v);
    return endpointFromRow({
      ...row,
      secret: open(row.secret),
      previous_secret: row.previous_secret === null ? null : open(row.previous_secret),
    });
  };

  /**
   * Seals the secrets stored before keys were configured (or by a process without them); a no-op
   * without keys. Returns how many endpoints it sealed. Run at start by every process with keys.
   */
  async sealStoredSecrets(): Promise<number> {
    if (!this.keys?.length) return 0;
    const rows = await this.db
      .selectFrom('webhook_endpoints')
      .select(['id', 'secret', 'previous_secret'])
      .execute();
    let sealed = 0;
    for (const row of rows) {
      const prev = row.previous_secret;
      if (isSealed(row.secret) && (prev === null || isSealed(prev))) continue;
      const result = await this.db
        .updateTable('webhook_endpoints')
        .set({
          secret: isSealed(row.secret) ? row.secret : this.seal(row.secret),
          previous_secret: prev === null || isSealed(prev) ? prev : this.seal(prev),
        })
        .where('id', '=', row.id)
        .where('secret', '=', row.secret) // a rotation in between wins; it sealed its own
        .executeTakeFirst();
      sealed += Number(result.numUpdatedRows) > 0 ? 1 : 0;
    }
    return sealed;
  }

  async createEndpoint(e: NewWebhookEndpoint, now: number): Promise<WebhookEndpoint> {
    const row = await this.db
      .insertInto('webhook_endpoints')
      .values({
        id: e.id,
        tenant_id: e.tenantId,
        url: e.url,
        events: JSON.stringify(e.events),
        description: e.description,
        secret: this.seal(e.secret),
        previous_secret: null,
        previous_expires_at: null,
        enabled: 1,
        disabled_reason: null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return this.fromRow(row);
  }

  /** The endpoint; with `tenantId`, only if it belongs to that tenant. */
  async getEndpoint(id: string, tenantId?: string): Promise<WebhookEndpoint | undefined> {
    let q = this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id);
    if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
    const row = await q.executeTakeFirst();
    return row && this.fromRow(row);
  }

  /** Oldest first; every tenant's without `tenantId`. */
  async listEndpoints(tenantId?: string): Promise<WebhookEndpoint[]> {
    let q = this.db.selectFrom('webhook_endpoints').selectAll();
    if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map(this.fromRow);
  }

  async countEndpoints(tenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom('webhook_endpoints')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The tenant's enabled endpoints subscribed to `type`. */
  async subscribers(tenantId: string, type: EventType): Promise<WebhookEndpoint[]> {
    const rows = await this.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('enabled', '=', 1)
      .execute();
    return rows.map(this.fromRow).filter((e) => e.events.includes(type));
  }

  async updateEndpoint(
    id: string,
    patch: WebhookEndpointPatch & { disabledReason?: string | null },
    now: number,
  ): Promise<WebhookEndpoint | undefined> {
    const row = await this.db
      .updateTable('webhook_endpoints')
      .set({
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.events !== undefined ? { events: JSON.stringify(patch.events) } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
        // Switched on again, or off by an admin: whatever Keel had noted no longer holds.
        ...(patch.enabled !== undefined || patch.disabledReason !== undefined
          ? { disabled_reason: patch.disabledReason ?? null }
          : {}),
        updated_at: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && this.fromRow(row);
  }

  /** The new secret signs from now on; the old one too, until `previousExpiresAt`. */
  async rotateSecret(
    id: string,
    secret: string,
    previousExpiresAt: number,
    now: number,
  ): Promise<WebhookEndpoint | undefined> {
    const current = await this.db
      .selectFrom('webhook_endpoints')
      .select('secret')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!current) return undefined;
    const row = await this.db
      .updateTable('webhook_endpoints')
      .set({
        secret: this.seal(secret),
        previous_secret: isSealed(current.secret) ? current.secret : this.seal(current.secret),
        previous_expires_at: previousExpiresAt,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('secret', '=', current.secret) // two rotations at once: one wins, none is lost
      .returningAll()
      .executeTakeFirst();
    return row ? this.fromRow(row) : this.rotateSecret(id, secret, previousExpiresAt, now);
  }

  /** Deletes the endpoint and its delivery log; deliveries under way find it gone and stop. */
  async deleteEndpoint(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
      const deleted = await tx
        .deleteFrom('webhook_endpoints')
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    });
  }

  /** The delivery of `event` to the endpoint, made `pending` if there was none. */
  async ensureDelivery(
    endpoint: Pick<WebhookEndpoint, 'id' | 'tenantId'>,
    event: Pick<KeelEvent, 'id' | 'type'>,
    deliveryId: string,
    now: number,
  ): Promise<WebhookDelivery> {
    const inserted = await this.db
      .insertInto('webhook_deliveries')
      .values({
        id: deliveryId,
        endpoint_id: endpoint.id,
        tenant_id: endpoint.tenantId,
        event_id: event.id,
        event_type: event.type,
        state: 'pending',
        attempts: 0,
        last_status: null,
        last_error: null,
        last_attempt_at: null,
        next_attempt_at: now,
        delivered_at: null,
        redeliveries: 0,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return deliveryFromRow(inserted);
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('endpoint_id', '=', endpoint.id)
      .where('event_id', '=', event.id)
      .executeTakeFirstOrThrow();
    return deliveryFromRow(row);
  }

  /** The delivery; with `endpointId`, only if it is that endpoint's. */
  async getDelivery(id: string, endpointId?: string): Promise<WebhookDelivery | undefined> {
    let q = this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id);
    if (endpointId !== undefined) q = q.where('endpoint_id', '=', endpointId);
    const row = await q.executeTakeFirst();
    return row && deliveryFromRow(row);
  }

  /** What one attempt needs: the delivery, its endpoint (now) and its event. */
  async attemptContext(deliveryId: string): Promise<
    | {
        delivery: WebhookDelivery;
        endpoint: WebhookEndpoint | undefined;
        event: KeelEvent | undefined;
      }
    | undefined
  > {
    const delivery = await this.getDelivery(deliveryId);
    if (!delivery) return undefined;
    const [endpoint, eventRow] = await Promise.all([
      this.getEndpoint(delivery.endpointId),
      this.db
        .selectFrom('events')
        .selectAll()
        .where('id', '=', delivery.eventId)
        .executeTakeFirst(),
    ]);
    const event: KeelEvent | undefined = eventRow && {
      id: Number(eventRow.id),
      tenantId: eventRow.tenant_id,
      subject: eventRow.subject,
      type: eventRow.type as EventType,
      data: JSON.parse(eventRow.data) as Record<string, unknown>,
      at: Number(eventRow.at),
    };
    return { delivery, endpoint, event };
  }

  /** Counts an attempt and records where the delivery stands after it. */
  async recordAttempt(
    deliveryId: string,
    a: DeliveryAttempt,
  ): Promise<WebhookDelivery | undefined> {
    const row = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        state: a.state,
        last_status: a.status,
        last_error: a.error,
        last_attempt_at: a.at,
        next_attempt_at: a.nextAttemptAt,
        ...(a.state === 'delivered' ? { delivered_at: a.at } : {}),
      }))
      .where('id', '=', deliveryId)
      .returningAll()
      .executeTakeFirst();
    return row && deliveryFromRow(row);
  }

  /** Ends a delivery without an attempt (its retries ran out, or its endpoint is gone). */
  async finishDelivery(deliveryId: string, state: DeliveryState): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ state, next_attempt_at: null })
      .where('id', '=', deliveryId)
      .where('state', '=', 'pending')
      .execute();
  }

  /** A manual redelivery begins: pending again, its number counted (the workflow id's suffix). */
  async reopenDelivery(deliveryId: string, now: number): Promise<WebhookDelivery | undefined> {
    const row = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        state: 'pending',
        next_attempt_at: now,
        redeliveries: eb('redeliveries', '+', 1),
      }))
      .where('id', '=', deliveryId)
      .returningAll()
      .executeTakeFirst();
    return row && deliveryFromRow(row);
  }

  /** An endpoint's deliveries, newest first, `before` a delivery's creation for the next page. */
  async listDeliveries(
    endpointId: string,
    opts: { limit: number; before?: { createdAt: number; id: string } },
  ): Promise<WebhookDelivery[]> {
    let q = this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('endpoint_id', '=', endpointId);
    const before = opts.before;
    if (before) {
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', before.createdAt),
          eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(opts.limit)
      .execute();
    return rows.map(deliveryFromRow);
  }
}

const PURPOSE = 'webhook-secret';

function endpointFromRow(row: Selectable<WebhookEndpointsTable>): WebhookEndpoint {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    events: JSON.parse(row.events) as EventType[],
    description: row.description,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousExpiresAt: row.previous_expires_at === null ? null : Number(row.previous_expires_at),
    enabled: Number(row.enabled) === 1,
    disabledReason: row.disabled_reason,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function deliveryFromRow(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    tenantId: row.tenant_id,
    eventId: Number(row.event_id),
    eventType: row.event_type as EventType,
    state: row.state as DeliveryState,
    attempts: Number(row.attempts),
    lastStatus: num(row.last_status),
    lastError: row.last_error,
    lastAttemptAt: num(row.last_attempt_at),
    nextAttemptAt: num(row.next_attempt_at),
    deliveredAt: num(row.delivered_at),
    redeliveries: Number(row.redeliveries),
    createdAt: Number(row.created_at),
  };
}
