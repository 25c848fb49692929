import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { freePort } from '../support/free-port';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';
import { startRedis, type RedisServer } from '../support/redis';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * `options.singleFlight` and `options.debounce` over HTTP, with the upstream's attempt log as the
 * judge of how many model calls were made: in one API process (markers in memory), and across two
 * API processes sharing a real redis-server.
 */
let mock: MockUpstream;

beforeAll(async () => {
  // `openai:slow` answers after about 1.5 s: long enough for every caller to arrive mid-flight.
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 1_500, p99Ms: 2_500 } });
});
afterAll(async () => {
  await mock?.close();
});
beforeEach(() => mock.clearAttempts());

interface Answer {
  status: number;
  body: any;
  singleFlight: string | null;
  /** Order in which the answers arrived, 0 first. */
  order: number;
}

type Post = (baseUrl: string, body: unknown) => Promise<Answer>;

function poster(apiKey: string): Post {
  let answered = 0;
  return async (baseUrl, body) => {
    const res = await fetch(`${baseUrl}/v1/tasks/classify-ticket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as any;
    return {
      status: res.status,
      body: json,
      singleFlight: res.headers.get('x-keel-single-flight'),
      order: answered++,
    };
  };
}

const ticket = (n: number | string) => ({
  subject: 'Refund',
  body: `I was charged twice for my subscription (order ${n})`,
});
const shared = (n: number | string, options: object = {}) => ({
  input: ticket(n),
  options: { route: ['openai:slow'], singleFlight: true, ...options },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Five requests of one debounce key, a little apart, to `targets` in turn. */
async function debounced(post: Post, targets: string[], key: string): Promise<Answer[]> {
  const sent: Promise<Answer>[] = [];
  for (let i = 0; i < 5; i++) {
    sent.push(
      post(targets[i % targets.length]!, {
        input: ticket(`debounce-${key}-${i}`),
        options: { route: ['openai:ok'], debounce: { key, ms: 3_000 } },
      }),
    );
    await sleep(150);
  }
  return Promise.all(sent);
}

function expectDebounced(answers: Answer[]): void {
  const last = answers[4]!;
  expect(last.status, JSON.stringify(last.body)).toBe(200);
  for (const early of answers.slice(0, 4)) {
    expect(early.status).toBe(409);
    expect(early.body.type).toBe('https://keel.dev/problems/superseded');
    // Answered when the next request arrived, not when the window closed: before the winner.
    expect(early.order).toBeLessThan(last.order);
  }
  expect(last.body.output).toBeDefined();
  // One model call: the superseded requests started nothing.
  expect(mock.attempts()).toHaveLength(1);
}

describe('one API process (markers in memory)', () => {
  let stack: Stack;
  let post: Post;
  beforeAll(async () => {
    stack = await startStack(upstreamEnv(mock.url));
    post = poster(stack.apiKey);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('identical requests in flight together share one model call and one answer', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => post(stack.baseUrl, shared(1))),
    );
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(mock.attempts()).toHaveLength(1);
    const [first] = answers;
    for (const a of answers) {
      expect(a.body.jobId).toBe(first!.body.jobId);
      expect(a.body.output).toEqual(first!.body.output);
    }
    expect(answers.filter((a) => a.singleFlight === 'leader')).toHaveLength(1);
    expect(answers.filter((a) => a.singleFlight === 'joined')).toHaveLength(5);
  });

  it('different inputs do not join', async () => {
    const answers = await Promise.all([1, 2, 3].map((n) => post(stack.baseUrl, shared(`x${n}`))));
    for (const a of answers) expect(a.status).toBe(200);
    expect(new Set(answers.map((a) => a.body.jobId)).size).toBe(3);
    expect(answers.map((a) => a.singleFlight)).toEqual(['leader', 'leader', 'leader']);
    expect(mock.attempts()).toHaveLength(3);
  });

  it('a different route does not join, and neither does a request that did not opt in', async () => {
    const answers = await Promise.all([
      post(stack.baseUrl, shared('r')),
      post(stack.baseUrl, shared('r', { route: ['openai:ok', 'openai:slow'] })),
      post(stack.baseUrl, { input: ticket('r'), options: { route: ['openai:slow'] } }),
    ]);
    for (const a of answers) expect(a.status).toBe(200);
    expect(new Set(answers.map((a) => a.body.jobId)).size).toBe(3);
    expect(answers[2].singleFlight).toBeNull();
    expect(mock.attempts()).toHaveLength(3);
  });

  it('is not a cache: once the shared job has ended, the same request runs a new one', async () => {
    const first = await post(stack.baseUrl, shared('again'));
    const second = await post(stack.baseUrl, shared('again'));
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.jobId).not.toBe(first.body.jobId);
    expect([first.singleFlight, second.singleFlight]).toEqual(['leader', 'leader']);
    expect(mock.attempts()).toHaveLength(2);
    // Each job reads back as its own run.
    const read = await stack.call(`/v1/jobs/${first.body.jobId}`);
    expect(((await read.json()) as any).output).toEqual(first.body.output);
  });

  it('joined callers take no concurrency slot; the ledger holds the shared call once', async () => {
    const admin = async (method: string, p: string, body?: unknown, key?: string) => {
      const res = await stack.call(p, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(key ? { headers: { authorization: `Bearer ${key}` }, auth: false } : {}),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    expect(
      (
        await admin('PUT', '/v1/admin/plans/sf-single', {
          name: 'One at a time',
          limits: { concurrentTasks: 1 },
          routes: { 'classify-ticket': ['openai:slow'] },
        })
      ).status,
    ).toBe(200);
    expect(
      (await admin('POST', '/v1/admin/tenants', { id: 'sf-co', plan: 'sf-single' })).status,
    ).toBe(201);
    const made = await admin('POST', '/v1/admin/tenants/sf-co/keys', {
      name: 'app',
      roles: ['caller', 'admin'],
    });
    const asTenant = poster(made.body.key as string);
    const same = { input: ticket('plan'), options: { singleFlight: true } };
    const leader = asTenant(stack.baseUrl, same);
    // The leader's slow call is under way (about 1.5 s): the others arrive mid-flight.
    await sleep(300);
    const [joined, other] = await Promise.all([
      Promise.all([1, 2, 3].map(() => asTenant(stack.baseUrl, same))),
      asTenant(stack.baseUrl, { input: ticket('plan-other'), options: { singleFlight: true } }),
    ]);
    const first = await leader;
    expect(first.status).toBe(200);
    for (const a of joined) {
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      expect(a.singleFlight).toBe('joined');
      expect(a.body.jobId).toBe(first.body.jobId);
    }
    // New work still needs the one slot.
    expect(other.status).toBe(429);
    expect(other.body.rateLimit).toBe('tenant-concurrency');
    expect(mock.attempts()).toHaveLength(1);
    const usage = await admin('GET', '/v1/usage', undefined, made.body.key as string);
    expect(usage.body.totals.calls).toBe(1);
  });

  it('debounce: of 5 rapid requests with one key, the first 4 get 409 superseded, the last runs', async () => {
    expectDebounced(await debounced(post, [stack.baseUrl], 'search-box'));
  });

  it('debounce keys are independent', async () => {
    const [a, b] = await Promise.all([
      post(stack.baseUrl, {
        input: ticket('k1'),
        options: { route: ['openai:ok'], debounce: { key: 'k1', ms: 200 } },
      }),
      post(stack.baseUrl, {
        input: ticket('k2'),
        options: { route: ['openai:ok'], debounce: { key: 'k2', ms: 200 } },
      }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(mock.attempts()).toHaveLength(2);
  });

  it('refuses a debounce window past 10 s and an empty key, naming the field', async () => {
    const long = await post(stack.baseUrl, {
      input: ticket('bad'),
      options: { debounce: { key: 'k', ms: 10_001 } },
    });
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body.errors)).toContain('options.debounce.ms');
    const empty = await post(stack.baseUrl, {
      input: ticket('bad'),
      options: { debounce: { key: '', ms: 100 } },
    });
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body.errors)).toContain('options.debounce.key');
    expect(mock.attempts()).toHaveLength(0);
  });
});

describe('two API processes sharing Redis', () => {
  let redis: RedisServer;
  let stack: Stack;
  let second: RunningProcess;
  let secondUrl: string;
  let post: Post;
  beforeAll(async () => {
    redis = await startRedis();
    stack = await startStack({ ...upstreamEnv(mock.url), KEEL_REDIS_URL: redis.url });
    const port = await freePort();
    secondUrl = `http://127.0.0.1:${port}`;
    second = startTs('server/main.ts', { ...stack.env, PORT: String(port) });
    await waitFor('second API ready', async () => (await fetch(`${secondUrl}/readyz`)).ok, {
      timeoutMs: 90_000,
      process: second,
    });
    post = poster(stack.apiKey);
  });
  afterAll(async () => {
    if (second) await stop(second);
    await stack?.stop();
    await redis?.stop();
  });

  it('identical requests spread over both replicas share one model call', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post(i % 2 ? secondUrl : stack.baseUrl, shared('two'))),
    );
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(mock.attempts()).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.jobId)).size).toBe(1);
    expect(new Set(answers.map((a) => JSON.stringify(a.body.output))).size).toBe(1);
    expect(answers.filter((a) => a.singleFlight === 'joined')).toHaveLength(5);
  });

  it('debounce across replicas: 4 × 409 superseded, the last runs, one model call', async () => {
    expectDebounced(await debounced(post, [stack.baseUrl, secondUrl], 'two-replicas'));
  });
});
