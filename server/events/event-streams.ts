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

  /**
   * The stream of one job or batch: the state now (`statusEvent`, as polling returns it), its
   * events as they are written, and last its end event carrying the final state, after which
   * the stream closes. A client that resumes (`Last-Event-ID`) gets no status, only what it
   * missed; a subject that has already ended is replayed and closed at once. `read` runs before
   * anything is written, so a missing or foreign subject is still a problem response.
   */
  async follow<V>(args: {
    req: Request;
    res: Response;
    subject: string;
    read: () => Promise<V>;
    hasEnded: (view: V) => boolean;
    statusEvent: string;
    isEnd: (event: KeelEvent) => boolean;
    /** The end message, from the final state and the end event (absent: no event was written). */
    endMessage: (view: V, event?: KeelEvent) => SseMessage;
    /** The final state once an end event is seen. @default read */
    settle?: () => Promise<V>;
  }): Promise<void> {
    const afterId = this.resumeAfter(args.req);
    const view = await args.read();
    const settle = args.settle ?? args.read;
    const step: StreamStep = async (event) =>
      args.isEnd(event)
        ? { message: args.endMessage(await settle(), event), last: true }
        : {
            message: {
              id: event.id,
              event: event.type,
              data: { ...event.data, at: new Date(event.at).toISOString() },
            },
            last: false,
          };
    const { req, res, subject } = args;
    if (args.hasEnded(view)) {
      return this.replay({
        req,
        res,
        subject,
        afterId: afterId ?? Number.MAX_SAFE_INTEGER,
        step,
        end: args.endMessage(view),
      });
    }
    this.open({
      req,
      res,
      subject,
      afterId: afterId ?? 0,
      ...(afterId === undefined ? { first: { event: args.statusEvent, data: view } } : {}),
      step,
      check: async () => {
        const now = await args.read();
        return args.hasEnded(now) ? args.endMessage(now) : undefined;
      },
    });
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
    const timers: { checker?: NodeJS.Timeout } = {};
    const stream: SseStream = openSse(args.req, args.res, {
      heartbeatMs: this.config.events.heartbeatMs,
      onClose: () => {
        this.openStreams--;
        unsubscribe();
        clearInterval(timers.checker);
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
    timers.checker = setInterval(() => {
      chain = chain.then(async () => {
        if (!stream.open) return;
        const ended = await check();
        if (ended) finish(ended);
      });
      chain = chain.catch(() => undefined);
    }, this.config.events.heartbeatMs);
    timers.checker.unref();
  }
}
