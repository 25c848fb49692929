import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { KeelEvent } from '../../shared/contracts/events';
import { EventFeed, type Topic } from '../../shared/events/feed';
import type { KeelConfig } from '../../shared/platform/config';
import type { Tenancy } from '../../shared/tenancy/open';
import type { EventLog } from '../../shared/tenancy/store';
import { ProblemError } from '../problem';
import { CONFIG, TENANCY } from '../tokens';
import { openSse, resumeAfter, type SseMessage, type SseStream } from './sse';

/** What a stream does with each event of its subject: send it, and say whether it was the last. */
export type StreamStep = (event: KeelEvent) => Promise<StepResult> | StepResult;
/** `message` absent: the event is not this stream's to send (another kind of the same tenant). */
export type StepResult = { message?: SseMessage; last: boolean };

/**
 * The API's event streams: one `EventFeed` over the event log for the whole process, a cap on
 * open streams, and the plumbing every stream shares (resume, heartbeats, the end). Jobs and
 * batches each decide what their events carry.
 */
@Injectable()
export class EventStreams implements OnModuleDestroy {
  private readonly feed: EventFeed;
  private readonly events: EventLog;
  private openStreams = 0;

  constructor(
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(TENANCY) tenancy: Tenancy,
  ) {
    this.events = tenancy.store.events;
    this.feed = new EventFeed(this.events, { pollMs: config.events.pollMs });
  }

  onModuleDestroy(): void {
    this.feed.close();
  }

  /** The latest event id: a new stream that wants only what happens from now on starts here. */
  latestId(): Promise<number> {
    return this.events.latestId();
  }

  /** The id to resume after, or a 400 naming `Last-Event-ID`, before anything is written. */
  resumeAfter(req: Request): number | undefined {
    const after = resumeAfter(req);
    if (after === 'invalid')
      throw ProblemError.of('invalid-request', 'Last-Event-ID must be an event id.', {
        errors: [{ field: 'Last-Event-ID', message: 'must be a non-negative integer event id' }],
      });
    return after;
  }

  /** A stream of one event (a subject that has ended), closed at once. */
  single(req: Request, res: Response, message: SseMessage): void {
    const stream = openSse(req, res, { heartbeatMs: this.config.events.heartbeatMs });
    stream.send(message);
    stream.close();
  }

  /**
   * The stream of a subject that has ended: its events after `afterId` through `step`, then
   * `end` unless one of them was the last (a subject whose end was never written), closed at once.
   */
  async replay(args: {
    req: Request;
    res: Response;
    subject: string;
    afterId: number;
    step: StreamStep;
    end: SseMessage;
  }): Promise<void> {
    const past = await this.events.after(args.subject, args.afterId);
    const stream = openSse(args.req, args.res, { heartbeatMs: this.config.events.heartbeatMs });
    for (const event of past) {
      const { message, last } = await args.step(event);
      if (message) stream.send(message);
      if (last) return stream.close();
    }
    stream.send(args.end);
    stream.close();
  }

  /**
   * Opens the stream, sends `first` (the state now, as polling would return it), then each event
   * of `subject` after `afterId` through `step` until one is the last. `check` runs with each
   * heartbeat: a subject that ended without an event (a timeout Temporal enforced, an operator's
   * terminate) still closes its stream, with the message it returns.
   */
  open(args: {
    req: Request;
    res: Response;
    /** A subject (a job or batch id), or `{tenant}` for every event of a tenant. */
    subject: string | Topic;
    afterId: number;
    first?: SseMessage;
    step: StreamStep;
    /** Absent for a stream that ends only when the client leaves (a tenant's reviews). */
    check?: () => Promise<SseMessage | undefined>;
  }): void {
    if (this.openStreams >= this.config.events.maxStreams) {
      throw ProblemError.of('too-many-streams', undefined, {}, { headers: { 'Retry-After': '5' } });
    }
    this.openStreams++;
    let unsubscribe = (): void => undefined;
    let checker: NodeJS.Timeout | undefined;
    const stream: SseStream = openSse(args.req, args.res, {
      heartbeatMs: this.config.events.heartbeatMs,
      onClose: () => {
        this.openStreams--;
        unsubscribe();
        clearInterval(checker);
      },
    });
    if (args.first) stream.send(args.first);
    // Events are handled one at a time, in id order, even when a step waits (reads the job).
    let chain = Promise.resolve();
    const finish = (message?: SseMessage): void => {
      if (message) stream.send(message);
      stream.close();
    };
    unsubscribe = this.feed.subscribe(args.subject, args.afterId, (event) => {
      chain = chain.then(async () => {
        if (!stream.open) return;
        const { message, last } = await args.step(event);
        if (last) finish(message);
        else if (message) stream.send(message);
      });
      chain = chain.catch(() => stream.close());
    });
    const check = args.check;
    if (!check) return;
    checker = setInterval(() => {
      chain = chain.then(async () => {
        if (!stream.open) return;
        const ended = await check();
        if (ended) finish(ended);
      });
      chain = chain.catch(() => undefined);
    }, this.config.events.heartbeatMs);
    checker.unref();
  }
}
