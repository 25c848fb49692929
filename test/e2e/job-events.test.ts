import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { readSse } from '../support/sse';
import {
  startEmbeddedStack,
  startStack,
  upstreamEnv,
  type EmbeddedStack,
  type Stack,
} from '../support/stack';

/**
 * A job's progress as server-sent events, and cancellation, through the real API and a worker
 * in another process (so events reach the API through the event log, not in memory), on a real
 * Temporal dev server with the mock upstream behind it.
 */
let mock: MockUpstream;
let stack: Stack;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 20_000, p99Ms: 20_000 }, seed: 3 });
  stack = await startStack({
    ...upstreamEnv(mock.url),
    KEEL_SSE_HEARTBEAT_MS: '300',
    KEEL_EVENT_POLL_MS: '100',
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

const json = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });

async function submit(body: unknown): Promise<string> {
  const res = await stack.call('/v1/tasks/classify-ticket', json(body));
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobId: string }).jobId;
}

const reviewed = {
  input: { subject: 'Refund', body: 'I was charged twice for my plan.' },
  options: { review: 'always' },
};

describe('GET /v1/jobs/{id}/events', () => {
  it('streams the job as polling shows it: status, review requested, decided, completed with the output, then closes', async () => {
    const jobId = await submit(reviewed);
    const res = await stack.call(`/v1/jobs/${jobId}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');

    const reading = readSse(res, {
      onEvent: (e) => {
        // Decide as soon as the stream says a person is needed.
        if (e.event === 'review.requested')
          void stack.call(`/v1/reviews/${jobId}`, json({ decision: 'approve' }));
      },
    });
    const { events, comments, retry } = await reading; // ends: the server closed the stream
    expect(events.map((e) => e.event)).toEqual([
      'job.status',
      'review.requested',
      'review.decided',
      'job.completed',
    ]);
    expect(events[0]!.data).toMatchObject({ jobId, status: 'awaiting_review' });
    expect(events[1]!.data).toMatchObject({ jobId, status: 'awaiting_review' });
    expect(events[2]!.data).toMatchObject({ jobId, decision: 'approve' });
    const polled = await (await stack.call(`/v1/jobs/${jobId}`)).json();
    expect(events[3]!.data).toEqual(polled);
    expect(polled).toMatchObject({ status: 'completed', output: { category: 'BILLING' } });
    // Event ids increase; the first event (the state at connection) has none.
    const ids = events.slice(1).map((e) => Number(e.id));
    expect(events[0]!.id).toBeUndefined();
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(3);
    expect(retry).toBeGreaterThan(0);
    expect(comments).toBeGreaterThanOrEqual(0);
  });

  it('Last-Event-ID resumes after that event: nothing before it, nothing lost after it', async () => {
    const jobId = await submit(reviewed);
    const first = await readSse(await stack.call(`/v1/jobs/${jobId}/events`), {
      until: (e) => e.event === 'review.requested',
    });
    const requested = first.events.at(-1)!;
    // Decided while no one listens.
    expect((await stack.call(`/v1/reviews/${jobId}`, json({ decision: 'approve' }))).status).toBe(
      200,
    );
    const resumed = await readSse(
      await stack.call(`/v1/jobs/${jobId}/events`, {
        headers: { 'last-event-id': requested.id! },
      }),
    );
    expect(resumed.events.map((e) => e.event)).toEqual(['review.decided', 'job.completed']);
    expect(Number(resumed.events[0]!.id)).toBeGreaterThan(Number(requested.id));
    expect(resumed.events[1]!.data).toMatchObject({ jobId, status: 'completed' });
  });

  it('sends heartbeats while the job waits, and an ended job is one event', async () => {
    const jobId = await submit(reviewed);
    const waiting = await readSse(await stack.call(`/v1/jobs/${jobId}/events`), {
      until: (_e, all) => all.length >= 2,
    });
    expect(waiting.events[1]!.event).toBe('review.requested');
    // Heartbeats (comment lines) come every 300 ms here: the stream shows one while it waits.
    const beat = await stack.call(`/v1/jobs/${jobId}/events`, {
      headers: { 'last-event-id': waiting.events[1]!.id! },
    });
    const reader = beat.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes(': keep-alive')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await reader.cancel();
    expect(text).toContain(': keep-alive');
    expect(text).not.toContain('event:'); // resumed after the last event: nothing new yet
    await stack.call(`/v1/reviews/${jobId}`, json({ decision: 'reject' }));
    await waitFor(
      'failed',
      async () =>
        ((await (await stack.call(`/v1/jobs/${jobId}`)).json()) as any).status === 'failed',
      { timeoutMs: 15_000 },
    );
    const ended = await readSse(await stack.call(`/v1/jobs/${jobId}/events`));
    expect(ended.events).toHaveLength(1);
    expect(ended.events[0]).toMatchObject({
      event: 'job.failed',
      data: {
        jobId,
        status: 'failed',
        error: { type: expect.stringContaining('review-rejected') },
      },
    });
  });

  it('refuses a bad Last-Event-ID naming the header, and another tenant’s or a missing job with 404', async () => {
    const jobId = await submit(reviewed);
    const bad = await stack.call(`/v1/jobs/${jobId}/events`, {
      headers: { 'last-event-id': 'yesterday' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(((await bad.json()) as any).errors[0].field).toBe('Last-Event-ID');
    const missing = await stack.call(
      '/v1/jobs/classify-ticket-00000000-0000-4000-8000-000000000000/events',
    );
    expect(missing.status).toBe(404);
    await stack.call(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
  });
});

describe('POST /v1/jobs/{id}/cancel', () => {
  // allowDegraded false: no downgrade to fall back on, so nothing may read the cancel as a
  // timeout. `hang` never answers: the cancel, not an answer, ends the call.
  it.each([true, false])(
    'cancels a job mid-call (allowDegraded %s): the upstream sees the connection close, the stream ends cancelled, a second cancel is 409',
    async (allowDegraded) => {
      const marker = `cancel-${allowDegraded}-${Date.now()}`;
      const jobId = await submit({
        input: { subject: 'Refund', body: `${marker}: I was charged twice` },
        options: { route: ['openai:hang'], maxSyncMs: 0, allowDegraded },
      });
      const stream = readSse(await stack.call(`/v1/jobs/${jobId}/events`));
      const mine = () => mock.attempts().filter((a) => JSON.stringify(a.request).includes(marker));
      await waitFor('the call reaches the upstream', () => mine().length === 1, {
        timeoutMs: 20_000,
      });

      const res = await stack.call(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ jobId, status: 'cancelled' });
      // Keel hangs up on every call it made for the job. The first runs as a local activity,
      // which hears of the cancel at its workflow task's next heartbeat (about 8 s); if its own
      // deadline (set below that heartbeat) comes first, it continues as a regular activity,
      // which the cancel then stops too: one call, or that one and its continuation.
      await waitFor(
        'the upstream saw Keel hang up on every call',
        () => mine().length > 0 && mine().every((a) => a.closedBy === 'client'),
        { timeoutMs: 20_000 },
      );
      expect(mine().length).toBeLessThanOrEqual(2);

      const { events } = await stream;
      expect(events.map((e) => e.event)).toEqual(['job.status', 'job.cancelled']);
      expect(events[1]!.data).toMatchObject({ jobId, status: 'cancelled' });

      const again = await stack.call(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
      expect(again.status).toBe(409);
      expect(((await again.json()) as any).type).toContain('job-ended');
      const job = await stack.call(`/v1/jobs/${jobId}`);
      expect(((await job.json()) as any).status).toBe('cancelled');
    },
  );

  // The worker is another process: the API's cancel cannot reach its call in memory. The call,
  // a local activity, hears of it from Temporal's describe (shared/platform/cancel-watch.ts)
  // instead of at its workflow task's heartbeat 8 s later.
  it('a worker in its own process stops the call once Temporal marks the run cancel-requested: one call, closed before the answer', async () => {
    const marker = `cancel-split-${Date.now()}`;
    const jobId = await submit({
      input: { subject: 'Refund', body: `${marker}: I was charged twice` },
      options: { route: ['openai:hang'], maxSyncMs: 0, allowDegraded: false },
    });
    const mine = () => mock.attempts().filter((a) => JSON.stringify(a.request).includes(marker));
    await waitFor('the call reaches the upstream', () => mine().length === 1, {
      timeoutMs: 20_000,
    });
    const res = await stack.call(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ jobId, status: 'cancelled' });
    expect(mine().map((a) => a.closedBy)).toEqual(['client']);
  });

  it('cancelling a job waiting for review withdraws it from the review queue', async () => {
    const jobId = await submit(reviewed);
    await waitFor(
      'queued for review',
      async () =>
        ((await (await stack.call('/v1/reviews')).json()) as any).items.some(
          (i: any) => i.jobId === jobId,
        ),
      { timeoutMs: 15_000 },
    );
    const res = await stack.call(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    await waitFor(
      'gone from the queue',
      async () =>
        !((await (await stack.call('/v1/reviews')).json()) as any).items.some(
          (i: any) => i.jobId === jobId,
        ),
      { timeoutMs: 15_000 },
    );
    expect(((await (await stack.call(`/v1/jobs/${jobId}`)).json()) as any).status).toBe(
      'cancelled',
    );
  });
});

describe('on the default deployment (the worker inside the API)', () => {
  let embedded: EmbeddedStack;
  beforeAll(async () => {
    embedded = await startEmbeddedStack({ ...upstreamEnv(mock.url), KEEL_EVENT_POLL_MS: '100' });
  }, 120_000);
  afterAll(async () => {
    await embedded?.stop();
  });

  it('events reach the stream in process, and it ends with the job completed, never early', async () => {
    const res = await embedded.call('/v1/tasks/classify-ticket', json(reviewed));
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const { events } = await readSse(await embedded.call(`/v1/jobs/${jobId}/events`), {
      onEvent: (e) => {
        if (e.event === 'review.requested')
          void embedded.call(`/v1/reviews/${jobId}`, json({ decision: 'approve' }));
      },
    });
    expect(events.map((e) => e.event)).toEqual([
      'job.status',
      'review.requested',
      'review.decided',
      'job.completed',
    ]);
    expect(events[3]!.data).toMatchObject({ jobId, status: 'completed' });
  });

  // In process the cancel aborts the local activity's call itself (shared/platform/job-aborts.ts),
  // instead of waiting for the workflow task's heartbeat 8 s later: by the time the cancel is
  // answered the upstream has seen the hang-up, and the call was never continued elsewhere.
  it('a cancel stops the call in flight at once: one call, closed by Keel before the answer', async () => {
    const marker = `cancel-embedded-${Date.now()}`;
    const res = await embedded.call(
      '/v1/tasks/classify-ticket',
      json({
        input: { subject: 'Refund', body: `${marker}: I was charged twice` },
        options: { route: ['openai:hang'], maxSyncMs: 0, allowDegraded: false },
      }),
    );
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const mine = () => mock.attempts().filter((a) => JSON.stringify(a.request).includes(marker));
    await waitFor('the call reaches the upstream', () => mine().length === 1, {
      timeoutMs: 20_000,
    });

    const cancel = await embedded.call(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toMatchObject({ jobId, status: 'cancelled' });
    expect(mine().map((a) => a.closedBy)).toEqual(['client']);
    const job = (await (await embedded.call(`/v1/jobs/${jobId}`)).json()) as any;
    expect(job.status).toBe('cancelled');
  });
});
