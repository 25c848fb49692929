import { CliError, ExitCode, type KeelApi } from './api';

/** One server-sent event; `data` is parsed JSON (Keel sends JSON on one line). */
export interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

/** Reconnects in a row, without an event between them, before the CLI gives up. */
const MAX_RECONNECTS = 5;

/**
 * The events of a Keel stream (`/v1/jobs/{id}/events`, `/v1/batches/{id}/events`), handed to
 * `onEvent` until it returns true. A stream that ends early or drops (a restarted API, a proxy's
 * timeout) is opened again with `Last-Event-ID`, so nothing is lost or seen twice; refusals
 * (4xx) are not retried.
 */
export async function followEvents(
  api: KeelApi,
  path: string,
  onEvent: (e: SseEvent) => boolean | void,
): Promise<void> {
  let lastId: string | undefined;
  let failures = 0;
  for (;;) {
    try {
      const res = await api.request(path, {
        headers: {
          accept: 'text/event-stream',
          ...(lastId !== undefined ? { 'last-event-id': lastId } : {}),
        },
      });
      if (!res.body) throw new CliError(`${path}: the answer has no body`, ExitCode.failed);
      for await (const e of readEvents(res.body)) {
        failures = 0;
        if (e.id !== undefined) lastId = e.id;
        if (onEvent(e) === true) {
          await res.body.cancel().catch(() => undefined);
          return;
        }
      }
    } catch (err) {
      if (err instanceof CliError && err.status !== undefined && err.status < 500) throw err;
      if (failures >= MAX_RECONNECTS) throw err;
    }
    if (++failures > MAX_RECONNECTS)
      throw new CliError(`${path}: the stream kept closing before the end`, ExitCode.failed);
    await new Promise((r) => setTimeout(r, 250 * 2 ** Math.min(failures, 4)));
  }
}

/**
 * Parses `text/event-stream` as the HTML spec does: `field: value` lines, a blank line ends an
 * event, `:` lines are comments (Keel's heartbeats).
 */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (data.length > 0)
          yield {
            ...(id !== undefined ? { id } : {}),
            event: event || 'message',
            data: parse(data.join('\n')),
          };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
