import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KeelEvent, NewKeelEvent } from '../../shared/contracts/events';
import { EventFeed } from '../../shared/events/feed';
import { useStoreSuite, type StoreKind } from '../support/store-suite';

/** The event log and the feed that tails it, on a real SQLite file and a real PostgreSQL. */

const suite = useStoreSuite('event-log');
const { open, freshTarget } = suite;

const event = (
  subject: string,
  type: NewKeelEvent['type'],
  key: string = randomUUID(),
): NewKeelEvent => ({
  tenantId: 'acme',
  subject,
  type,
  data: { jobId: subject, status: type.split('.')[1] },
  key,
});

describe.each<StoreKind>(['sqlite', 'postgres'])('event log on %s', (kind) => {
  it('writes each event once, ids increasing, read back by subject and in order', async () => {
    const store = await open(freshTarget(kind));
    const a1 = await store.events.append(event('job-a', 'review.requested'), 1000);
    const b1 = await store.events.append(event('job-b', 'job.completed', 'b-done'), 1001);
    const again = await store.events.append(event('job-b', 'job.completed', 'b-done'), 1500);
    const a2 = await store.events.append(event('job-a', 'job.completed'), 1002);

    expect(again).toEqual(b1);
    expect(a1.id).toBeLessThan(b1.id);
    expect(b1.id).toBeLessThan(a2.id);
    expect((await store.events.after('job-a', 0)).map((e) => e.type)).toEqual([
      'review.requested',
      'job.completed',
    ]);
    expect(await store.events.after('job-a', a1.id)).toEqual([a2]);
    expect((await store.events.since(0)).map((e) => e.id)).toEqual([a1.id, b1.id, a2.id]);
    expect(await store.events.latestId()).toBe(a2.id);
    expect(a2.data).toEqual({ jobId: 'job-a', status: 'completed' });
  });

  it('the feed delivers events written by another process, each once, to the subject asked', async () => {
    const target = freshTarget(kind);
    const reader = await open(target);
    const writer = await open(target); // another connection, as a worker process has
    const feed = new EventFeed(reader.events, { pollMs: 50 });
    suite.closeAfter(feed);

    const seen: KeelEvent[] = [];
    const done = new Promise<void>((resolve) => {
      feed.subscribe('job-x', 0, (e) => {
        seen.push(e);
        if (e.type === 'job.completed') resolve();
      });
    });
    await writer.events.append(event('job-y', 'job.failed'), 1);
    await writer.events.append(event('job-x', 'review.requested', 'x-review'), 2);
    await writer.events.append(event('job-x', 'review.requested', 'x-review'), 3);
    await writer.events.append(event('job-x', 'job.completed'), 4);
    await done;
    expect(seen.map((e) => e.type)).toEqual(['review.requested', 'job.completed']);
  });

  it('a subscriber resuming after an event id gets what came after it, live events included', async () => {
    const target = freshTarget(kind);
    const store = await open(target);
    const first = await store.events.append(event('job-r', 'review.requested'), 1);
    const second = await store.events.append(event('job-r', 'review.decided'), 2);
    const feed = new EventFeed(store.events, { pollMs: 50 });
    suite.closeAfter(feed);

    const seen: number[] = [];
    const done = new Promise<void>((resolve) => {
      feed.subscribe('job-r', first.id, (e) => {
        seen.push(e.id);
        if (e.type === 'job.completed') resolve();
      });
    });
    const third = await store.events.append(event('job-r', 'job.completed'), 3);
    await done;
    expect(seen).toEqual([second.id, third.id]);
  });
});
