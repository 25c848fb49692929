/**
 * Live updates of the queue: the tenant's review events (`GET /v1/reviews/events`, server-sent
 * events) read with fetch, because EventSource cannot send the reviewer's key. Each
 * `review.requested`, `review.decided` or `review.expired` tells the page to reload its list
 * (coalesced); a dropped stream reconnects with `Last-Event-ID` after 1 s, doubling to 30 s.
 */
export type LiveState = 'live' | 'reconnecting' | 'off';

export interface LiveOptions {
  key: () => string | null;
  onChange: () => void;
  onState: (state: LiveState) => void;
}

const REVIEW_EVENT = /^review\./;

export function openLive(options: LiveOptions): () => void {
  const controller = new AbortController();
  let lastId: string | undefined;
  let pending: number | undefined;
  const changed = (): void => {
    if (pending !== undefined) return;
    pending = window.setTimeout(() => {
      pending = undefined;
      options.onChange();
    }, 150);
  };

  async function readOnce(): Promise<'again' | 'stop'> {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      authorization: `Bearer ${options.key() ?? ''}`,
    };
    if (lastId) headers['last-event-id'] = lastId;
    const res = await fetch('/v1/reviews/events', {
      headers,
      cache: 'no-store',
      credentials: 'omit',
      signal: controller.signal,
    });
    // A refused key: the next call of the page signs the reviewer out.
    if (res.status === 401 || res.status === 403) return 'stop';
    if (!res.ok || !res.body) return 'again';
    options.onState('live');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let event = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'again';
      buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (REVIEW_EVENT.test(event)) changed();
          event = '';
        } else if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('id:')) lastId = line.slice(3).trim();
      }
    }
  }

  void (async () => {
    let wait = 1_000;
    while (!controller.signal.aborted) {
      let outcome: 'again' | 'stop' = 'again';
      try {
        outcome = await readOnce();
        wait = 1_000;
      } catch {
        // The network dropped: try again.
      }
      if (controller.signal.aborted) break;
      if (outcome === 'stop') {
        options.onState('off');
        return;
      }
      options.onState('reconnecting');
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 30_000);
      // Whatever changed while the stream was down.
      changed();
    }
  })();
  return () => {
    controller.abort();
    if (pending !== undefined) window.clearTimeout(pending);
    options.onState('off');
  };
}
