/**
 * How a streamed answer travels from the model call to the HTTP response when both run in one
 * process (the API with its embedded worker, the default deployment): the chat endpoint opens a
 * channel for the job before it starts the workflow; the callModel activity finds it by the job id
 * and writes the text the stream window releases; the endpoint sends it on as SSE chunks.
 *
 * The channel is also the one judge of "has the caller seen anything yet": the first attempt that
 * writes text owns it, and any other attempt (a fallback, a re-ask, a retry) is refused from then
 * on, so a failure after the first byte can only end the stream, never switch answers unseen.
 * An activity that runs in another process finds no channel and answers whole; the endpoint then
 * sends that answer when the workflow ends (docs/chat-completions.md#streaming).
 */

export type RelayEvent =
  /** Text released to the caller, in order. */
  | { type: 'text'; text: string }
  /** The attempt that owns the stream failed after text went out: end with an error event. */
  | { type: 'broken'; message: string }
  /** Output moderation stopped the stream: end with `finish_reason: content_filter`. */
  | { type: 'filtered'; detail: string };

export class StreamChannel {
  /** The attempt whose text the caller has seen, once one has written. */
  private owner: string | undefined;
  private readonly queue: RelayEvent[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private readonly aborter = new AbortController();
  /** Characters written: what a broken stream reports as sent. */
  sentChars = 0;
  /** `provider:model` of the attempt that wrote first: the stream's `model` from its first chunk. */
  model: string | undefined;

  constructor(
    /** The original request the endpoint parsed (the activity's moderation compares with it). */
    readonly input: unknown,
  ) {}

  /** Aborted when the caller went away: the model call should stop. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  /** Whether `attempt` may write: nothing was sent yet, or it is the attempt that sent it. */
  mayWrite(attempt: string): boolean {
    return !this.ended && (this.owner === undefined || this.owner === attempt);
  }

  /** Whether `attempt` owns what the caller has seen. */
  owns(attempt: string): boolean {
    return this.owner === attempt;
  }

  /** Writes released text; false (nothing written) when another attempt owns the stream. */
  write(attempt: string, text: string, model?: string): boolean {
    if (!this.mayWrite(attempt)) return false;
    if (text.length === 0) return true;
    this.owner = attempt;
    this.model ??= model;
    this.sentChars += text.length;
    this.push({ type: 'text', text });
    return true;
  }

  /** The owning attempt's end: broken or filtered. Ignored from an attempt that owns nothing. */
  end(attempt: string, event: Exclude<RelayEvent, { type: 'text' }>): void {
    if (this.ended || (this.owner !== undefined && this.owner !== attempt)) return;
    this.owner ??= attempt;
    this.push(event);
    this.ended = true;
  }

  /** The next event, or undefined once `close` was called and the queue is empty. */
  async next(): Promise<RelayEvent | undefined> {
    for (;;) {
      const event = this.queue.shift();
      if (event) return event;
      if (this.aborter.signal.aborted) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The endpoint is done with the channel (answered, or the caller hung up). */
  close(): void {
    this.ended = true;
    this.aborter.abort();
    this.wake?.();
  }

  private push(event: RelayEvent): void {
    this.queue.push(event);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** The process's open channels, by job id. */
class StreamRelay {
  private readonly channels = new Map<string, StreamChannel>();

  /** The endpoint's side: open before the workflow starts, close when the response ends. */
  open(jobId: string, input: unknown): StreamChannel {
    const channel = new StreamChannel(input);
    // A second caller of the same job (an Idempotency-Key retry) gets the answer when the job
    // ends: the text already streamed belongs to the first.
    if (this.channels.has(jobId)) return channel;
    this.channels.set(jobId, channel);
    channel.signal.addEventListener('abort', () => {
      if (this.channels.get(jobId) === channel) this.channels.delete(jobId);
    });
    return channel;
  }

  /** The activity's side: the job's channel when its caller streams from this process. */
  find(jobId: string): StreamChannel | undefined {
    return this.channels.get(jobId);
  }
}

/** One per process: the API and its embedded worker share it. */
export const streamRelay = new StreamRelay();
