import type { KeelEvent } from '../contracts/events';
import type { EventLog } from '../tenancy/store';

export interface EventFeedOptions {
  /** How often the log is read while someone listens. @default 250 */
  pollMs?: number;
  /**
   * How long a missing id is waited for before the feed moves past it. PostgreSQL hands out ids
   * before commit, so a later id can commit first; an id never committed (a write that found its
   * key taken) leaves a hole for good. @default 5000
   */
  gapWaitMs?: number;
  now?: () => number;
}

/** What a subscriber listens to: one subject's events, or every event of one tenant. */
export type Topic = { subject: string } | { tenant: string };

const topicKey = (t: Topic): string => ('subject' in t ? `s:${t.subject}` : `t:${t.tenant}`);

interface Subscriber {
  topic: Topic;
  lastId: number;
  /** Until its catch-up read is done, live events wait here. */
  queue: KeelEvent[] | undefined;
  onEvent: (e: KeelEvent) => void;
}

/**
 * One tail of the event log per process, shared by every listener: a stream of a thousand
 * clients costs one read of the log per tick, not a thousand, and no read of Temporal at all.
 * Events appended in this process (an embedded worker) are delivered at once; events from other
 * processes within `pollMs`. Each subscriber first reads its subject's events after the id it
 * resumes from, then gets live ones, each once and in id order.
 */
export class EventFeed {
  private readonly pollMs: number;
  private readonly gapWaitMs: number;
  private readonly now: () => number;
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private count = 0;
  /** Every id up to here has been dispatched (or given up on). */
  private cursor: number | undefined;
  /** Ids above the cursor already dispatched. */
  private readonly seen = new Set<number>();
  private gapSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private readonly unhook: () => void;
  private closed = false;

  constructor(
    private readonly log: EventLog,
    opts: EventFeedOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 250;
    this.gapWaitMs = opts.gapWaitMs ?? 5000;
    this.now = opts.now ?? Date.now;
    this.unhook = log.onAppend((e) => {
      if (this.cursor !== undefined) this.dispatch([e]);
    });
  }

  /**
   * Calls `onEvent` with each event of the topic (a subject, or a whole tenant) after `afterId`,
   * then each new one, until the returned function is called. Errors reading the log are retried on the next tick.
   */
  subscribe(topic: string | Topic, afterId: number, onEvent: (e: KeelEvent) => void): () => void {
    const t: Topic = typeof topic === 'string' ? { subject: topic } : topic;
    const key = topicKey(t);
    const sub: Subscriber = { topic: t, lastId: afterId, queue: [], onEvent };
    let set = this.subscribers.get(key);
    if (!set) this.subscribers.set(key, (set = new Set()));
    set.add(sub);
    this.count++;
    void this.catchUp(sub);
    return () => {
      if (!set.delete(sub)) return;
      if (set.size === 0) this.subscribers.delete(key);
      if (--this.count === 0) this.stop();
    };
  }

  close(): void {
    this.closed = true;
    this.stop();
    this.unhook();
  }

  private async catchUp(sub: Subscriber): Promise<void> {
    for (;;) {
      try {
        await this.start();
        const past =
          'subject' in sub.topic
            ? await this.log.after(sub.topic.subject, sub.lastId)
            : await this.log.afterForTenant(sub.topic.tenant, sub.lastId);
        const queued = sub.queue ?? [];
        sub.queue = undefined;
        // Live events that arrived during the read go in id order with it, each once.
        for (const e of [...past, ...queued].sort((a, b) => a.id - b.id)) this.deliver(sub, e);
        return;
      } catch {
        if (this.closed) return;
        await new Promise((r) => setTimeout(r, this.pollMs));
      }
    }
  }

  private deliver(sub: Subscriber, e: KeelEvent): void {
    if (sub.queue) {
      sub.queue.push(e);
      return;
    }
    if (e.id <= sub.lastId) return;
    sub.lastId = e.id;
    sub.onEvent(e);
  }

  private start(): Promise<void> {
    this.starting ??= this.log.latestId().then(
      (id) => {
        this.cursor = id;
        this.schedule();
      },
      (err: unknown) => {
        this.starting = undefined;
        throw err;
      },
    );
    return this.starting;
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.starting = undefined;
    this.cursor = undefined;
    this.seen.clear();
    this.gapSince = undefined;
  }

  private schedule(): void {
    if (this.closed || this.count === 0) return;
    this.timer = setTimeout(() => void this.tick(), this.pollMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const cursor = this.cursor;
    if (cursor === undefined) return;
    try {
      const events = await this.log.since(cursor);
      if (this.cursor === cursor) this.dispatch(events);
    } catch {
      // The next tick reads again from the same cursor: nothing is skipped.
    }
    this.schedule();
  }

  private dispatch(events: KeelEvent[]): void {
    if (this.cursor === undefined) return;
    for (const e of events) {
      if (e.id <= this.cursor || this.seen.has(e.id)) continue;
      this.seen.add(e.id);
      for (const sub of this.subscribers.get(topicKey({ subject: e.subject })) ?? [])
        this.deliver(sub, e);
      for (const sub of this.subscribers.get(topicKey({ tenant: e.tenantId })) ?? [])
        this.deliver(sub, e);
    }
    this.advance();
  }

  /** Moves the cursor over dispatched ids, and over a hole older than `gapWaitMs`. */
  private advance(): void {
    for (;;) {
      while (this.seen.delete(this.cursor! + 1)) this.cursor!++;
      if (this.seen.size === 0) {
        this.gapSince = undefined;
        return;
      }
      this.gapSince ??= this.now();
      if (this.now() - this.gapSince < this.gapWaitMs) return;
      this.cursor!++;
      this.gapSince = undefined;
    }
  }
}
