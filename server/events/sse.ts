import type { Request, Response } from 'express';

/** One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseMessage {
  /** Sent as `id:`; a client reconnecting sends the last one back as `Last-Event-ID`. */
  id?: number;
  event: string;
  data: unknown;
}

export interface SseStream {
  send(message: SseMessage): void;
  /** Ends the response (the client's EventSource reconnects unless told otherwise). */
  close(): void;
  /** Whether the client is still there. */
  readonly open: boolean;
}

/**
 * Turns a response into an event stream: the headers, a `retry` hint, a comment line every
 * `heartbeatMs` (proxies and load balancers close idle connections), and one close for every
 * way it can end (the client leaves, the server ends it). Writes after the end are ignored.
 */
export function openSse(
  req: Request,
  res: Response,
  opts: { heartbeatMs: number; retryMs?: number; onClose?: () => void },
): SseStream {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  // nginx buffers responses unless told not to.
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write(`retry: ${opts.retryMs ?? 2000}\n\n`);

  let open = true;
  const heartbeat = setInterval(() => write(': keep-alive\n\n'), opts.heartbeatMs);
  heartbeat.unref();
  const end = (): void => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    opts.onClose?.();
  };
  req.on('close', end);
  res.on('close', end);

  function write(chunk: string): void {
    if (open && !res.writableEnded) res.write(chunk);
  }
  return {
    send: (m) => write(formatSse(m)),
    close: () => {
      end();
      if (!res.writableEnded) res.end();
    },
    get open() {
      return open;
    },
  };
}

/** One event in the wire format; `data` is JSON on one line, so no line of it needs escaping. */
export function formatSse(m: SseMessage): string {
  return `${m.id !== undefined ? `id: ${m.id}\n` : ''}event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`;
}

/**
 * The event id a client resumes after: the `Last-Event-ID` header (sent by EventSource on
 * reconnect) or the `lastEventId` query parameter (for a first connection that resumes).
 * Undefined when neither is given; `invalid` when one is not a non-negative integer.
 */
export function resumeAfter(req: Request): number | 'invalid' | undefined {
  const header = req.header('last-event-id');
  const query = typeof req.query.lastEventId === 'string' ? req.query.lastEventId : undefined;
  const raw = (header ?? query)?.trim();
  if (raw === undefined || raw === '') return undefined;
  return /^\d{1,15}$/.test(raw) ? Number(raw) : 'invalid';
}
