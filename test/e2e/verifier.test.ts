import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INJECTED } from '../mock-upstream/content';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { mockUpstreamConfigWith, startEmbeddedStack, upstreamEnv } from '../support/stack';
import type { EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * The verifier layer (validation.verifier) end to end: tenants made through the admin API, the
 * real worker, the OpenAI and Anthropic SDKs against the mock upstream, whose `ok` model scores
 * the verifier's question from the content (test/mock-upstream/content.ts: "guaranteed" where the
 * input says no such thing scores 0.2), and the usage report the calls land in.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
type Json = any;

const verified = (
  route: string[],
  action: 're-ask' | 'next' | 'review' | 'reject',
  failure: 'open' | 'closed',
) => ({ validation: { verifier: { route, minScore: 0.7, action, failure, timeoutMs: 3_000 } } });
const POLICIES = {
  tenants: {
    'vf-plain': {},
    'vf-reask': verified(['openai:ok'], 're-ask', 'closed'),
    'vf-next': verified(['openai:ok'], 'next', 'closed'),
    'vf-down-closed': verified(['openai:503'], 're-ask', 'closed'),
    'vf-reject': verified(['openai:ok'], 'reject', 'closed'),
    'vf-review': verified(['openai:ok'], 'review', 'closed'),
    // The first verifier answers no readable verdict and spends the cap: the second is not asked.
    'vf-capped': {
      validation: {
        verifier: {
          route: ['openai:invalid-json', 'openai:ok'],
          failure: 'open',
          maxCostUsd: 0.000001,
        },
      },
    },
    // Another vendor's 503: four failures of one model in a row would open its circuit.
    'vf-down-open': verified(['anthropic:503'], 're-ask', 'open'),
  },
};

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  const config = mockUpstreamConfigWith({ policies: POLICIES });
  stack = await startEmbeddedStack(upstreamEnv(mock.url, config));
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});
beforeEach(() => mock.clearAttempts());

const { call, tenant } = tenantApi(() => stack);
const keys = new Map<string, string>();
async function keyOf(id: string): Promise<string> {
  if (!keys.has(id)) keys.set(id, await tenant(id, 'pro', { roles: ['caller', 'admin'] }));
  return keys.get(id)!;
}
/** Each test its own ticket: no last good answer of another test stands in. */
async function classify(tenantId: string, route: string[], body: string) {
  return call(
    'POST',
    '/v1/tasks/classify-ticket',
    { input: { subject: 'Refund', body }, options: { route } },
    await keyOf(tenantId),
  );
}
const usageByTask = async (tenantId: string): Promise<Record<string, Json>> => {
  const usage = await call('GET', '/v1/usage?groupBy=task', undefined, await keyOf(tenantId));
  expect(usage.status).toBe(200);
  return Object.fromEntries(usage.body.rows.map((r: Json) => [r.group.task, r]));
};
const isVerify = (a: { request: unknown }): boolean =>
  JSON.stringify(a.request).includes('check answers for faithfulness');
const verifyCalls = () => mock.attempts().filter(isVerify);
const taskCalls = () => mock.attempts().filter((a) => !isVerify(a));
/** keel.mock-upstream.json: every model at $2/M input and $8/M output tokens. */
const billedUsd = () =>
  mock.attempts().reduce((sum, a) => sum + (a.inputTokens * 2 + a.outputTokens * 8) / 1e6, 0);

describe('the verifier layer', () => {
  it('passes a faithful answer with its score, the verifier billed in meta and usage', async () => {
    const res = await classify(
      'vf-reask',
      ['openai:ok'],
      'I was charged twice for my subscription. My card 4111 1111 1111 1111 shows both.',
    );
    expect(res.status).toBe(200);
    expect(res.body.meta.path).toBe('primary');
    const v = res.body.meta.validation.verifier;
    expect(v).toMatchObject({ score: 0.95, passed: true, model: 'openai:ok' });
    expect(v.costUsd).toBeGreaterThan(0);
    expect(verifyCalls()).toHaveLength(1);
    expect(taskCalls()).toHaveLength(1);
    // The verifier saw the input as the task's model did: redacted.
    expect(JSON.stringify(verifyCalls()[0]!.request)).toContain('[CARD_1]');
    expect(JSON.stringify(mock.attempts())).not.toContain('4111 1111');
    expect(res.body.meta.attempts).toBe(2);
    expect(res.body.meta.costUsd).toBeCloseTo(billedUsd(), 6);
    expect(res.body.meta.costUsd).toBeGreaterThan(v.costUsd);
    const usage = await usageByTask('vf-reask');
    expect(usage['verify-answer']).toMatchObject({ calls: 1, failedCalls: 0 });
    expect(usage['verify-answer'].costUsd).toBeCloseTo(v.costUsd, 6);
  });

  it('without a verifier an unfaithful answer goes through; with one it is re-asked', async () => {
    const body = 'Charged twice this month, please look into it.';
    const plain = await classify('vf-plain', ['openai:unfaithful'], body);
    expect(plain.status).toBe(200);
    expect(plain.body.output.rationale).toContain(INJECTED.unfaithful);
    expect(plain.body.meta.validation.verifier).toBeUndefined();
    expect(verifyCalls()).toHaveLength(0);

    mock.clearAttempts();
    const res = await classify('vf-reask', ['openai:unfaithful'], `${body} Order 1.`);
    expect(res.status).toBe(200);
    expect(res.body.meta.path).toBe('primary');
    expect(res.body.output.rationale).not.toContain('guaranteed');
    expect(res.body.meta.validation.rejected).toEqual([
      {
        candidate: 'openai:unfaithful',
        layer: 'verifier',
        action: 're-ask',
        issues: [
          {
            field: '(output)',
            rule: 'verifier',
            message: expect.stringMatching(/openai:ok\) scored .* 0\.2, below 0\.7: .*guaranteed/),
          },
        ],
      },
    ]);
    expect(res.body.meta.validation.verifier).toMatchObject({ score: 0.95, passed: true });
    expect(taskCalls()).toHaveLength(2);
    expect(verifyCalls()).toHaveLength(2);
    expect(res.body.meta.costUsd).toBeCloseTo(billedUsd(), 6);
  });

  it('with action next, the next candidate answers', async () => {
    const res = await classify(
      'vf-next',
      ['openai:unfaithful', 'anthropic:ok'],
      'Charged twice, second ticket.',
    );
    expect(res.status).toBe(200);
    expect(res.body.meta.model).toBe('ok');
    expect(res.body.meta.provider).toBe('anthropic');
    expect(res.body.meta.validation.rejected).toMatchObject([
      { candidate: 'openai:unfaithful', layer: 'verifier', action: 'next' },
    ]);
    expect(taskCalls().map((a) => a.model)).toEqual(['unfaithful', 'ok']);
    expect(verifyCalls()).toHaveLength(2);
  });

  it('with action reject, an unfaithful answer is a 422 naming the verifier', async () => {
    const res = await classify('vf-reject', ['openai:unfaithful'], 'Charged twice, fifth ticket.');
    expect(res.status).toBe(422);
    expect(res.body.type).toContain('output-rejected');
    expect(res.body.errors).toEqual([
      expect.objectContaining({ field: '(output)', rule: 'verifier' }),
    ]);
    expect(taskCalls()).toHaveLength(1);
  });

  it('with action review, the unfaithful answer waits for a person', async () => {
    const res = await classify('vf-review', ['openai:unfaithful'], 'Charged twice, sixth ticket.');
    expect(res.status).toBe(202);
    const job = await call(
      'GET',
      `/v1/jobs/${res.body.jobId}`,
      undefined,
      await keyOf('vf-review'),
    );
    expect(job.body.status).toBe('awaiting_review');
    expect(taskCalls()).toHaveLength(1);
    expect(verifyCalls()).toHaveLength(1);
  });

  it('maxCostUsd stops further verifier candidates: the policy fails open', async () => {
    const res = await classify('vf-capped', ['openai:ok'], 'Charged twice, seventh ticket.');
    expect(res.status).toBe(200);
    expect(res.body.meta.validation.verifier).toMatchObject({ passed: true, failedOpen: true });
    expect(res.body.meta.validation.verifier.costUsd).toBeGreaterThan(0);
    expect(res.body.meta.reasons[0]).toMatch(/unreadable verdict.*cost cap 0.000001 USD reached/);
    expect(verifyCalls().map((a) => a.model)).toEqual(['invalid-json']);
  });

  it('a verifier outage failing closed fails the layer: the route degrades', async () => {
    const res = await classify('vf-down-closed', ['openai:ok'], 'Charged twice, third ticket.');
    expect(res.status).toBe(200);
    expect(res.body.meta.path).toBe('degraded');
    expect(res.body.meta.validation.rejected).toMatchObject([
      {
        candidate: 'openai:ok',
        layer: 'verifier',
        action: 'next',
        issues: [{ message: expect.stringMatching(/no verdict and the policy fails closed/) }],
      },
    ]);
    expect(verifyCalls().map((a) => a.status)).toEqual([503, 503]);
    expect((await usageByTask('vf-down-closed'))['verify-answer']).toMatchObject({
      calls: 2,
      failedCalls: 2,
    });
  });

  it('a verifier outage failing open passes the answer, the reason in meta', async () => {
    const res = await classify('vf-down-open', ['openai:ok'], 'Charged twice, fourth ticket.');
    expect(res.status).toBe(200);
    expect(res.body.meta.path).toBe('primary');
    expect(res.body.meta.validation.verifier).toMatchObject({ passed: true, failedOpen: true });
    expect(res.body.meta.reasons).toEqual([
      expect.stringMatching(/^verifier gave no verdict, failed open: anthropic:503/),
    ]);
    expect(verifyCalls()).toHaveLength(2);
    expect(taskCalls()).toHaveLength(1);
  });
});
