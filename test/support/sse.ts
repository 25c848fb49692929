/** One event as a client reads it off the wire. */
export interface ReadEvent {
  id?: string;
  event: string;
  data: any;
}

/**
 * Reads a `text/event-stream` response to its end (or until `until` says stop), parsing events
 * as the HTML spec does: fields per line, a blank line ends an event, `:` lines are comments.
 * Comments are counted so a test can see heartbeats.
 */
export async function readSse(
  res: Response,
  opts: {
    until?: (e: ReadEvent, all: ReadEvent[]) => boolean;
    onEvent?: (e: ReadEvent) => void;
  } = {},
): Promise<{ events: ReadEvent[]; comments: number; retry?: number }> {
  if (!res.body) throw new Error('no body');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: ReadEvent[] = [];
  let comments = 0;
  let retry: number | undefined;
  let buffer = '';
  let current: { id?: string; event?: string; data: string[] } = { data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (current.data.length > 0 || current.event) {
          const e: ReadEvent = {
            ...(current.id !== undefined ? { id: current.id } : {}),
            event: current.event ?? 'message',
            data: JSON.parse(current.data.join('\n')),
          };
          events.push(e);
          opts.onEvent?.(e);
          if (opts.until?.(e, events)) {
            await reader.cancel();
            return { events, comments, ...(retry !== undefined ? { retry } : {}) };
          }
        }
        current = { data: [] };
        continue;
      }
      if (line.startsWith(':')) {
        comments++;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') current.id = v;
      else if (field === 'event') current.event = v;
      else if (field === 'data') current.data.push(v);
      else if (field === 'retry') retry = Number(v);
    }
  }
  return { events, comments, ...(retry !== undefined ? { retry } : {}) };
}
