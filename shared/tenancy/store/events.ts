import { EventEmitter } from 'node:events';
import type { Kysely, Selectable } from 'kysely';
import type { EventType, KeelEvent, NewKeelEvent } from '../../contracts/events';
import type { EventsTable, StoreSchema } from './schema';

/**
 * The event log: one row per event, ids increasing across the deployment. Writers are the
 * workers' activities (and the API for its own events); readers are the API's event feed (SSE)
 * and the webhook dispatcher. A write is idempotent by its key, so an activity that retries
 * writes its event once and gets the same id back.
 */
export class EventLog {
  /** Told of every event this process appends, so readers in the same process wake at once. */
  private readonly local = new EventEmitter().setMaxListeners(0);

  constructor(private readonly db: Kysely<StoreSchema>) {}

  async append(e: NewKeelEvent, at: number): Promise<KeelEvent> {
    const inserted = await this.db
      .insertInto('events')
      .values({
        event_key: e.key,
        tenant_id: e.tenantId,
        subject: e.subject,
        type: e.type,
        data: JSON.stringify(e.data),
        at,
      })
      .onConflict((oc) => oc.column('event_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    const row =
      inserted ??
      (await this.db
        .selectFrom('events')
        .selectAll()
        .where('event_key', '=', e.key)
        .executeTakeFirstOrThrow());
    const event = eventFromRow(row);
    if (inserted) this.local.emit('event', event);
    return event;
  }

  /** A subject's events after `afterId`, oldest first. */
  async after(subject: string, afterId: number, limit = 500): Promise<KeelEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('subject', '=', subject)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(eventFromRow);
  }

  /** A tenant's events after `afterId`, oldest first. */
  async afterForTenant(tenantId: string, afterId: number, limit = 500): Promise<KeelEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('id', '>', afterId)
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(eventFromRow);
  }

  /** Every event after `afterId`, oldest first (the feed's tail). */
  async since(afterId: number, limit = 500): Promise<KeelEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(eventFromRow);
  }

  /** The highest id written so far (0 when there is none). */
  async latestId(): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /** Events appended by this process, as they are appended. Returns the unsubscribe. */
  onAppend(listener: (e: KeelEvent) => void): () => void {
    this.local.on('event', listener);
    return () => this.local.off('event', listener);
  }
}

function eventFromRow(row: Selectable<EventsTable>): KeelEvent {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    subject: row.subject,
    type: row.type as EventType,
    data: JSON.parse(row.data) as Record<string, unknown>,
    at: Number(row.at),
  };
}
