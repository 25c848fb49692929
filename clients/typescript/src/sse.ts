/** One server-sent event: its `event` name (`message` when unnamed), `data` and `id`. */
export interface SseEvent {
  event: string;
  data: string;
  /** The event's own `id:`, when it had one. */
  id?: string;
  /** A `retry:` the server sent with it (ms). */
  retry?: number;
}

/**
 * The event-stream format of the HTML standard, fed text as it arrives: lines end in CRLF, LF or
 * CR; `:` starts a comment; one space after the colon is dropped; `data` lines join with `\n`; a
 * blank line dispatches; an event with no data is not dispatched.
 */
export class SseParser {
  private buffer = '';
  /** A CR ended the last chunk: an LF starting the next one belongs to it. */
  private pendingCr = false;
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private retry: number | undefined;

  /** The events completed by this piece of text. */
  push(text: string): SseEvent[] {
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (c === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) out.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event: SseEvent | undefined =
      this.data.length === 0
        ? undefined
        : {
            event: this.event || 'message',
            data: this.data.join('\n'),
            ...(this.id !== undefined ? { id: this.id } : {}),
            ...(this.retry !== undefined ? { retry: this.retry } : {}),
          };
    this.event = '';
    this.data = [];
    // Each event reports the id it carried; a caller that resumes keeps the last one it saw.
    this.id = undefined;
    this.retry = undefined;
    return event;
  }
}

/** The events of a response body, as they arrive; ends when the stream does. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
  } finally {
    // A consumer that stops early (break, an abort) closes the connection.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
