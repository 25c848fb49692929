import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * Load shedding: an API process runs at most KEEL_MAX_INFLIGHT_TASKS tasks at once; the next one
 * is refused at once with a 503 problem and Retry-After, instead of queueing into a timeout.
 */
let mock: MockUpstream;
let stack: Stack;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, latencyMs: 1_500 });
  stack = await startStack({ ...upstreamEnv(mock.url), KEEL_MAX_INFLIGHT_TASKS: '2' });
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

const post = (n: number) =>
  stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: 'Refund', body: `charged twice, order ${n}` },
      options: { route: ['openai:ok'] },
    }),
  });

describe('KEEL_MAX_INFLIGHT_TASKS', () => {
  it('refuses what is over the limit at once, runs the rest, and admits again after', async () => {
    const started = performance.now();
    const responses = await Promise.all([0, 1, 2, 3, 4].map(post));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503, 503]);
    const refused = responses.find((r) => r.status === 503)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ status: 503, limit: 2 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_500);
    // Only the admitted tasks reached the upstream.
    expect(mock.attempts()).toHaveLength(2);
    expect((await post(5)).status).toBe(200);
  });
});
