import { Keel, TASK_NAMES, ValidationError, type TaskInput, type TaskName } from '@keel/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASKS } from '../../shared/tasks';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startEmbeddedStack, upstreamEnv, type EmbeddedStack } from '../support/stack';

/**
 * `@keel/client` (clients/typescript, as built to its dist: `npm run build:client`) against a
 * running Keel with the mock upstream: every task, a 202 waited through the job's events, a 429
 * waited out after its Retry-After, a problem as its error class, an abort that stops the wait
 * (and, asked to, cancels the job), reviews, batches and usage.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
let keel: Keel;

/** Every request the client made, with its answer's status. */
interface Seen {
  method: string;
  path: string;
  status: number;
}
function recordingFetch(seen: Seen[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    seen.push({ method: init?.method ?? 'GET', path: url.pathname, status: res.status });
    return res;
  };
}

const ticket = { subject: 'Refund', body: 'I was charged twice for my subscription' };

/** The rate-limited caller's call, started in beforeAll so its minute passes meanwhile. */
let limited: Promise<{ result?: unknown; error?: unknown }>;
const limitedSeen: Seen[] = [];

beforeAll(async () => {
  // `slow` answers after about 20 s: long enough to abort a call while it runs.
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 20_000, p99Ms: 25_000 } });
  stack = await startEmbeddedStack(upstreamEnv(mock.url));
  keel = new Keel({ baseUrl: stack.baseUrl, apiKey: stack.apiKey });

  // One request a minute: the second is a 429 whose Retry-After ends the first one's minute.
  await keel.admin.plans.put('one-a-minute', {
    id: 'one-a-minute',
    name: 'One a minute',
    limits: { requestsPerMinute: 1 },
  });
  await keel.admin.tenants.create({ id: 'client-ts', plan: 'one-a-minute' });
  const { key } = await keel.admin.keys.create('client-ts', { name: 'svc', roles: ['caller'] });
  const limitedKeel = new Keel({
    baseUrl: stack.baseUrl,
    apiKey: key,
    fetch: recordingFetch(limitedSeen),
  });
  await limitedKeel.tasks.classifyTicket(ticket);
  limited = limitedKeel.tasks.classifyTicket({ ...ticket, body: 'The app crashes at login' }).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
});
afterAll(async () => {
  await limited?.catch(() => undefined);
  await stack?.stop();
  await mock?.close();
});

describe('tasks', () => {
  it.each(TASK_NAMES.map((name) => [name]))(
    '%s: the validated output and its meta',
    async (name) => {
      const task = TASKS[name]!;
      const { jobId, output, meta } = await keel.tasks.run(
        name,
        task.example as TaskInput<TaskName>,
      );
      expect(jobId).toMatch(new RegExp(`^${name}-`));
      expect(task.output.safeParse(output).success).toBe(true);
      expect(meta).toMatchObject({ path: 'primary', promptVersion: expect.any(String) });
    },
  );

  it('the methods are typed per task: classifyTicket answers a category', async () => {
    const { output } = await keel.tasks.classifyTicket(ticket);
    const category: 'BILLING' | 'TECHNICAL' | 'ACCOUNT' | 'OTHER' = output.category;
    expect(category).toBe('BILLING');
    expect(output.confidence).toBeGreaterThan(0);
  });

  it('a 202 is waited for through the job’s events, then answers like a 200', async () => {
    const seen: Seen[] = [];
    const client = new Keel({
      baseUrl: stack.baseUrl,
      apiKey: stack.apiKey,
      fetch: recordingFetch(seen),
    });
    const { jobId, output, meta } = await client.tasks.classifyTicket(ticket, { maxSyncMs: 0 });
    expect(output.category).toBe('BILLING');
    expect(meta.path).toBe('primary');
    expect(seen).toEqual([
      { method: 'POST', path: '/v1/tasks/classify-ticket', status: 202 },
      { method: 'GET', path: `/v1/jobs/${jobId}/events`, status: 200 },
    ]);
  });

  it('bad input is a ValidationError naming the field', async () => {
    const error = await keel.tasks
      .classifyTicket({ subject: 'Refund', body: '' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 400, slug: 'invalid-request' });
    expect((error as ValidationError).fields).toEqual(['input.body']);
    expect((error as ValidationError).problem.type).toBe(
      'https://keel.dev/problems/invalid-request',
    );
  });
});

describe('an abort through the signal', () => {
  /** Starts a slow task and resolves with its job id once the client waits on its events. */
  function slowCall(options: { cancelOnAbort?: boolean }) {
    const seen: Seen[] = [];
    const client = new Keel({
      baseUrl: stack.baseUrl,
      apiKey: stack.apiKey,
      fetch: recordingFetch(seen),
    });
    const controller = new AbortController();
    const call = client.tasks
      .classifyTicket(ticket, {
        route: ['openai:slow'],
        maxSyncMs: 0,
        signal: controller.signal,
        ...options,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const jobId = (async () => {
      for (;;) {
        const events = seen.find((s) => s.path.endsWith('/events'));
        if (events) return events.path.split('/')[3]!;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return { call, jobId, controller };
  }

  async function statusOf(jobId: string, until: string) {
    let status = '';
    for (let i = 0; i < 100 && status !== until; i++) {
      status = (await keel.jobs.get(jobId)).status;
      if (status !== until) await new Promise((r) => setTimeout(r, 100));
    }
    return status;
  }

  it('rejects with an AbortError and, with cancelOnAbort, the job ends cancelled', async () => {
    const { call, jobId, controller } = slowCall({ cancelOnAbort: true });
    const id = await jobId;
    controller.abort();
    const error = await call;
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(await statusOf(id, 'cancelled')).toBe('cancelled');
  });

  it('without cancelOnAbort only the wait stops: the job runs on', async () => {
    const { call, jobId, controller } = slowCall({});
    const id = await jobId;
    controller.abort();
    expect(await call).toMatchObject({ name: 'AbortError' });
    expect((await keel.jobs.get(id)).status).toBe('running');
    const cancelled = await keel.jobs.cancel(id);
    expect(cancelled.jobId).toBe(id);
    expect(await statusOf(id, 'cancelled')).toBe('cancelled');
  });
});

describe('reviews, batches, usage, job events', () => {
  it('a task held for review: the wait spans the review, the reviewer approves', async () => {
    const waiting = keel.tasks.classifyTicket(ticket, { review: 'always' });
    const pending = async () => (await keel.reviews.list({ task: 'classify-ticket' })).items[0];
    let item = await pending();
    for (let i = 0; i < 100 && !item; i++) {
      await new Promise((r) => setTimeout(r, 100));
      item = await pending();
    }
    if (!item) throw new Error('the review never appeared in the queue');
    const review = await keel.reviews.get(item.jobId);
    expect(review.jobId).toBe(item.jobId);
    await keel.reviews.decide(item.jobId, { decision: 'approve' });
    const { jobId, meta } = await waiting;
    expect(jobId).toBe(item.jobId);
    expect(meta.path).toBe('review');
    // An ended job's events: its last event, the job whole.
    const events = [];
    for await (const event of keel.jobs.events(jobId)) events.push(event);
    expect(events.at(-1)).toMatchObject({
      event: 'job.completed',
      data: { jobId, status: 'completed' },
    });
  });

  it('a batch: submitted, finished, its results read line by line', async () => {
    const accepted = await keel.batches.create({
      task: 'classify-ticket',
      items: [ticket, { subject: 'Crash', body: 'The app crashes at login' }, { body: '' }],
    });
    expect(accepted).toMatchObject({ items: 3, invalid: 1, status: 'running' });
    let batch = await keel.batches.get(accepted.batchId);
    for (let i = 0; i < 150 && batch.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      batch = await keel.batches.get(accepted.batchId);
    }
    expect(batch.status).toBe('completed');
    const lines = [];
    for await (const line of keel.batches.results(accepted.batchId)) lines.push(line);
    expect(lines.map((l) => [l.index, l.status])).toEqual([
      [0, 'completed'],
      [1, 'completed'],
      [2, 'failed'],
    ]);
    expect(lines[0]!.output).toMatchObject({ category: 'BILLING' });
  });

  it('usage counts the calls made', async () => {
    const usage = await keel.usage.get();
    expect(usage.totals.calls).toBeGreaterThan(0);
  });
});

describe('a 429 with Retry-After', () => {
  it('is waited out, then the call succeeds', async () => {
    const { result, error } = await limited;
    expect(error).toBeUndefined();
    const { output } = result as { output: unknown };
    expect(TASKS['classify-ticket']!.output.safeParse(output).success).toBe(true);
    const calls = limitedSeen.filter((s) => s.path === '/v1/tasks/classify-ticket');
    expect(calls.map((c) => c.status)).toEqual([200, 429, 200]);
  }, 90_000);
});
