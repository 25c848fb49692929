import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { Request, Response } from 'express';
import type { RunTaskResult } from '../../shared/contracts/job';
import type { KeelConfig } from '../../shared/platform/config';
import type { Logger } from '../../shared/platform/logger';
import { jobAborts } from '../../shared/platform/job-aborts';
import {
  streamRelay,
  type RelayEvent,
  type StreamChannel,
} from '../../shared/platform/stream-relay';
import { CHAT_TASK, chat, type ChatOutput } from '../../shared/tasks/chat';
import { problemForFailure } from '../job-status';
import { JobsService, type RunOutcome } from '../jobs.service';
import { ProblemError } from '../problem';
import type { Tenant } from '../../shared/tenancy/directory';
import { CONFIG, LOGGER, TEMPORAL_CLIENT } from '../tokens';
import type { ChatCall } from './chat-body';
import { finishOf, type ChatDialect, type ChatFinish, type StreamWire } from './chat-dialect';
import { resolveChatModel } from './chat-models';
import { answeredBy } from './chat-wire';

/** What a chat request carries besides its body. */
export interface ChatRequestContext {
  tenant: Tenant;
  /** The wire format the request came in (OpenAI's or Anthropic's); the answers go out in it. */
  dialect: ChatDialect;
  body: unknown;
  requestId: string;
  idempotencyKey?: string;
}

type Settled = { ok: true; outcome: RunOutcome } | { ok: false; error: unknown };

/**
 * `POST /v1/chat/completions` and `POST /v1/messages`: the `chat` task behind OpenAI's and
 * Anthropic's wire formats (a `ChatDialect` each). Every request is a
 * job (runTask, through JobsService: limits, budgets, idempotency, the same admission); a stream
 * is relayed from the model call in this process (shared/platform/stream-relay.ts) and finished
 * from the validated answer. docs/chat-completions.md.
 */
@Injectable()
export class ChatService {
  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(CONFIG) private readonly config: KeelConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The request as a job of the `chat` task; every refusal here is a 4xx before anything runs. */
  private prepare(ctx: ChatRequestContext): { call: ChatCall; route: string[] } {
    const call = ctx.dialect.parse(ctx.body);
    return { call, route: resolveChatModel(call.model, ctx.tenant, this.config) };
  }

  private run(
    ctx: ChatRequestContext,
    prepared: { call: ChatCall; route: string[] },
    onStart?: (jobId: string) => void,
  ): Promise<RunOutcome> {
    return this.jobs.runParsed({
      tenant: ctx.tenant,
      parsed: {
        task: chat,
        request: {
          task: CHAT_TASK,
          tenantId: ctx.tenant.id,
          requestId: ctx.requestId,
          input: prepared.call.input,
          options: { route: prepared.route },
        },
      },
      ...(ctx.idempotencyKey !== undefined ? { idempotencyKey: ctx.idempotencyKey } : {}),
      ...(onStart ? { onStart } : {}),
    });
  }

  /** A chat answer waits for its job however long it takes (up to the task's hard timeout). */
  private async resultOf(outcome: RunOutcome): Promise<RunTaskResult> {
    if (outcome.kind === 'completed') return outcome.result;
    try {
      return (await this.client.workflow.getHandle(outcome.jobId).result()) as RunTaskResult;
    } catch (err) {
      throw problemForFailure(err, outcome.jobId);
    }
  }

  /** The whole completion (`stream` false). A moderation refusal is a `content_filter` finish. */
  async complete(ctx: ChatRequestContext): Promise<{
    body: unknown;
    headers: Record<string, string>;
  }> {
    const prepared = this.prepare(ctx);
    const created = Math.floor(Date.now() / 1000);
    let jobId = '';
    try {
      const outcome = await this.run(ctx, prepared, (id) => (jobId = id));
      jobId = outcome.jobId;
      const result = await this.resultOf(outcome);
      return {
        body: ctx.dialect.body({
          jobId,
          model: prepared.call.model,
          created,
          result,
          finish: finishOf(result.output as ChatOutput),
        }),
        headers: { ...outcome.headers, 'x-keel-job-id': jobId },
      };
    } catch (err) {
      if (!isModerationRefusal(err)) throw err;
      return {
        body: ctx.dialect.body({
          jobId,
          model: prepared.call.model,
          created,
          finish: 'content_filter',
        }),
        headers: { 'x-keel-job-id': jobId },
      };
    }
  }

  /**
   * A stream. Nothing is sent until the first text is released or the job ends, so a refusal
   * (limits, budget, an unknown model, every candidate failing before a byte) is still an HTTP
   * error the client raises. After the first byte: text as the window releases it, the rest
   * from the validated answer, or an error event (never a normal finish) if the job fails.
   */
  async stream(ctx: ChatRequestContext, req: Request, res: Response): Promise<void> {
    const prepared = this.prepare(ctx);
    const { call } = prepared;
    const created = Math.floor(Date.now() / 1000);
    let jobId = '';
    let channel: StreamChannel | undefined;
    let opened: (c: StreamChannel) => void = () => undefined;
    const channelReady = new Promise<StreamChannel>((resolve) => (opened = resolve));
    const settled: Promise<Settled> = this.run(ctx, prepared, (id) => {
      jobId = id;
      channel = streamRelay.open(id, call.input);
      opened(channel);
    }).then(
      (outcome) => ({ ok: true, outcome }),
      (error: unknown) => ({ ok: false, error }),
    );
    let started = false;
    let finished = false;
    let sent = '';
    let model = call.model;
    let wire: StreamWire | undefined;
    const write = (frame: string): void => {
      if (!res.writableEnded) res.write(frame);
    };
    const start = (): StreamWire => {
      if (wire) return wire;
      started = true;
      wire = ctx.dialect.stream({ jobId, created, includeUsage: call.includeUsage });
      res.status(200);
      res.setHeader('content-type', 'text/event-stream; charset=utf-8');
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('x-accel-buffering', 'no');
      res.setHeader('x-keel-job-id', jobId);
      res.flushHeaders();
      write(wire.start(model));
      return wire;
    };
    const end = (): void => {
      finished = true;
      channel?.close();
      if (!res.writableEnded) res.end();
    };
    const fail = (error: ProblemError): void => {
      write(start().error(error.toProblem(req.originalUrl)));
      end();
    };
    const finish = (reason: ChatFinish, result?: RunTaskResult): void => {
      write(start().finish(model, reason, result));
      end();
    };
    // The caller hung up: stop the model call and the job (nothing would read the answer).
    res.on('close', () => {
      if (finished) return;
      finished = true;
      channel?.close();
      if (jobId) {
        void this.client.workflow
          .getHandle(jobId)
          .cancel()
          .catch(() => undefined);
        jobAborts.abort(jobId);
      }
    });

    const events = relayEvents(channelReady);
    let pending = events.next();
    for (;;) {
      const next = await Promise.race([
        pending.then((e) => ({ kind: 'event' as const, e })),
        settled.then((s) => ({ kind: 'settled' as const, s })),
      ]);
      if (finished) return;
      if (next.kind === 'event') {
        if (next.e.done) {
          // The channel closed: only the job's end is left to wait for.
          pending = new Promise<never>(() => undefined);
          continue;
        }
        pending = events.next();
        const event: RelayEvent = next.e.value;
        // One `model` for the whole stream: the candidate that answers, known at its first text.
        if (!started) model = channel?.model ?? model;
        start();
        if (event.type === 'text') {
          sent += event.text;
          write(start().text(model, event.text));
        } else if (event.type === 'filtered') {
          finish('content_filter');
          return;
        } else {
          fail(ProblemError.of('stream-interrupted', event.message, { jobId }));
          return;
        }
        continue;
      }
      // The job ended (or was refused): what is left goes out, or the error does.
      const s = next.s;
      let result: RunTaskResult | undefined;
      let error: unknown;
      if (s.ok) {
        try {
          result = await this.resultOf(s.outcome);
        } catch (err) {
          error = err;
        }
      } else error = s.error;
      if (finished) return;
      if (error !== undefined) {
        if (isModerationRefusal(error)) {
          start();
          finish('content_filter');
          return;
        }
        // Before the first byte a refusal is an HTTP error; the filter answers it.
        if (!started) {
          finished = true;
          channel?.close();
          throw error instanceof Error ? error : ProblemError.of('internal');
        }
        this.logger.warn({ jobId, err: error }, 'chat stream failed after it started');
        fail(error instanceof ProblemError ? error : ProblemError.of('internal'));
        return;
      }
      const output = result!.output as ChatOutput;
      const content = output.content;
      if (!started) model = answeredBy(result!.meta, call.model);
      start();
      if (!content.startsWith(sent)) {
        fail(
          ProblemError.of(
            'stream-interrupted',
            'The validated answer differs from the text already streamed.',
            { jobId },
          ),
        );
        return;
      }
      const rest = content.slice(sent.length);
      if (rest) write(start().text(model, rest));
      // Tool calls go out whole, once validation passed (their arguments were never streamed).
      if (output.toolCalls?.length) write(start().toolCalls(model, output.toolCalls));
      finish(finishOf(output), result);
      return;
    }
  }
}

/** The channel's events, once it is open. */
async function* relayEvents(ready: Promise<StreamChannel>): AsyncGenerator<RelayEvent> {
  const channel = await ready;
  for (;;) {
    const event = await channel.next();
    if (!event) return;
    yield event;
  }
}

/** Output moderation refused the answer: OpenAI's `content_filter`, not an error. */
function isModerationRefusal(err: unknown): boolean {
  return err instanceof ProblemError && err.slug === 'output-rejected';
}
