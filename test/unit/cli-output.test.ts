import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { problemLine } from '../../server/cli/api';
import { createProgress, formatDuration, type BatchProgress } from '../../server/cli/progress';
import { readEvents } from '../../server/cli/sse';

/** A stream that says it is a terminal, `columns` wide, collecting what is written. */
function fakeStream(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c: Buffer) => (text += c.toString()));
  Object.assign(s, { isTTY: tty, columns: 160 });
  return { stream: s as unknown as NodeJS.WriteStream, text: () => text };
}

const at = (completed: number, failed = 0): BatchProgress => ({
  total: 200,
  completed,
  failed,
  cancelled: 0,
  costUsd: 0.0123,
});

describe('keel CLI output', () => {
  it('on a terminal: a bar redrawn in place with done, failed, rate, ETA and cost', () => {
    let now = 0;
    const { stream, text } = fakeStream(true);
    const p = createProgress({ stream, tty: true, now: () => now });
    p.update(at(0));
    now = 10_000;
    p.update(at(97, 3)); // 100 ended in 10 s: 10 items/s, 100 left → 10 s
    p.stop();
    const last = text().split('\x1b[1G').at(-1)!; // the last redraw
    expect(last).toContain('50% | 100/200 done | 3 failed | 10.0 items/s | ETA 10s | $0.0123');
    expect(text()).toContain('\x1b[1G'); // drawn over itself, not line after line
  });

  it('elsewhere: one plain line per tenth of the items, never the same tenth twice', () => {
    let now = 0;
    const { stream, text } = fakeStream(false);
    const p = createProgress({ stream, tty: false, now: () => now });
    for (const done of [0, 5, 19, 20, 21, 95, 199, 200]) {
      now += 1_000;
      p.update(at(done));
    }
    p.stop();
    expect(text().split('\n').filter(Boolean)).toEqual([
      'progress: 0% 0/200 done, 0 failed, 0.0 items/s, $0.0123',
      'progress: 10% 20/200 done, 0 failed, 6.7 items/s, ETA 27s, $0.0123',
      'progress: 47% 95/200 done, 0 failed, 19.0 items/s, ETA 6s, $0.0123',
      'progress: 99% 199/200 done, 0 failed, 33.2 items/s, ETA 0s, $0.0123',
      'progress: 100% 200/200 done, 0 failed, 28.6 items/s, ETA 0s, $0.0123',
    ]);
    expect(text()).not.toContain('\x1b');
  });

  it('a problem is one line: status, title, detail, the first fields', () => {
    expect(
      problemLine(400, 'Bad Request', {
        title: 'Invalid request',
        detail: 'The input does not match\nthe schema.',
        errors: Array.from({ length: 7 }, (_, i) => ({
          field: `items[${i}].body`,
          message: 'required',
        })),
      }),
    ).toBe(
      '400 Invalid request: The input does not match the schema. (items[0].body: required; items[1].body: required; items[2].body: required; items[3].body: required; items[4].body: required; 2 more)',
    );
    expect(problemLine(502, 'Bad Gateway', {})).toBe('502 Bad Gateway');
    expect(formatDuration(3_725)).toBe('1h 02m');
  });

  it('reads server-sent events split anywhere, skipping heartbeats', async () => {
    const wire =
      'retry: 2000\n\n: keep-alive\n\nid: 7\nevent: batch.progress\ndata: {"done":3}\n\nevent: batch.completed\ndata: {"status":"completed"}\n\n';
    const bytes = new TextEncoder().encode(wire);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 5) c.enqueue(bytes.slice(i, i + 5));
        c.close();
      },
    });
    const seen = [];
    for await (const e of readEvents(body)) seen.push(e);
    expect(seen).toEqual([
      { id: '7', event: 'batch.progress', data: { done: 3 } },
      { id: '7', event: 'batch.completed', data: { status: 'completed' } },
    ]);
  });
});
