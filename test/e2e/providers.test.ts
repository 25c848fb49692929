import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseFileConfig } from '../../shared/platform/config-file';
import { SCENARIOS, startMockUpstream, type MockUpstream } from '../mock-upstream';
import { MOCK_UPSTREAM_CONFIG, startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * Keel over HTTP, with the real OpenAI and Anthropic SDKs talking to the fault-injecting
 * upstream on loopback. The upstream's attempt log is the judge of what left Keel.
 */
const config = parseFileConfig(
  JSON.parse(readFileSync(MOCK_UPSTREAM_CONFIG, 'utf8')),
  MOCK_UPSTREAM_CONFIG,
);
const priceOf = (provider: string) =>
  config.models.find((m) => m.provider === provider && m.name === 'ok')!.price;
const PRICE = { openai: priceOf('openai'), anthropic: priceOf('anthropic') };
let mock: MockUpstream;
let stack: Stack;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startStack(upstreamEnv(mock.url));
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});
beforeEach(() => mock.clearAttempts());

const ticket = { subject: 'Refund', body: 'I was charged twice for my subscription' };
const run = async (route: string[], input: unknown = ticket, task = 'classify-ticket') => {
  const res = await stack.call(`/v1/tasks/${task}`, {
    method: 'POST',
    body: JSON.stringify({ input, options: { route } }),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const cost = (inTok: number, outTok: number, p: { input: number; output: number }) =>
  (inTok * p.input + outTok * p.output) / 1e6;

describe('real SDKs against the upstream, through the HTTP API', () => {
  it('the shipped upstream config registers every scenario for both vendors', () => {
    for (const provider of ['openai', 'anthropic']) {
      expect(
        config.models
          .filter((m) => m.provider === provider)
          .map((m) => m.name)
          .sort(),
      ).toEqual(SCENARIOS.map((s) => s.name).sort());
    }
  });

  it.each(['openai', 'anthropic'] as const)(
    '%s:ok answers with the right output, tokens and cost',
    async (provider) => {
      const { status, body } = await run([`${provider}:ok`]);
      expect(status).toBe(200);
      expect(body.output.category).toBe('BILLING');
      expect(body.meta).toMatchObject({ provider, model: 'ok', path: 'primary', attempts: 1 });
      const attempts = mock.attempts();
      expect(attempts).toHaveLength(1);
      const [a] = attempts;
      expect(a).toMatchObject({ api: provider, model: 'ok', status: 200, billed: true });
      expect(body.meta.tokens).toMatchObject({ input: a!.inputTokens, output: a!.outputTokens });
      expect(body.meta.costUsd).toBeCloseTo(
        cost(a!.inputTokens, a!.outputTokens, PRICE[provider]),
        9,
      );
      expect(body.meta.tokens.estimatedInput).toBeGreaterThan(0);
      // What left Keel: the system prompt and the input, nothing else.
      expect(JSON.stringify(a!.request)).toContain('I was charged twice for my subscription');
    },
  );

  it('summarize through openai:ok returns a schema-valid summary', async () => {
    const text =
      'The outage began at 09:12 UTC. Writes failed for 41 minutes. Service was restored at 09:53 UTC.';
    const { status, body } = await run(['openai:ok'], { text, maxWords: 20 }, 'summarize');
    expect(status).toBe(200);
    expect(body.output.summary.split(/\s+/).length).toBeLessThanOrEqual(20);
  });

  it('fenced JSON is read out of the fence; the answer is still primary', async () => {
    const { status, body } = await run(['openai:fenced-json']);
    expect(status).toBe(200);
    expect(body.meta.path).toBe('primary');
    expect(body.output.category).toBe('BILLING');
  });

  it('invalid JSON is re-asked once with the parse error named; both billed calls are in the cost', async () => {
    const { status, body } = await run(['openai:invalid-json', 'anthropic:ok']);
    expect(status).toBe(200);
    expect(body.meta).toMatchObject({ provider: 'openai', path: 'primary', attempts: 2 });
    expect(body.meta.validation.schema.status).toBe('passed');
    expect(body.meta.validation.rejected).toMatchObject([
      { candidate: 'openai:invalid-json', layer: 'schema', action: 're-ask' },
    ]);
    const [bad, fixed] = mock.attempts();
    expect(bad).toMatchObject({ model: 'invalid-json', billed: true });
    // The re-ask is a fresh ask with the parse failure named: the broken text is not sent back.
    const turns = fixed!.request.messages as Array<{ role: string; content: string }>;
    expect(turns.map((m) => m.role)).toEqual(['system', 'user', 'user']);
    expect(turns[2]!.content).toMatch(/rejected by validation:\n- \(output\): (truncated|invalid)/);
    expect(fixed!.inputTokens).toBeLessThan(bad!.inputTokens + bad!.outputTokens);
    const expected =
      cost(bad!.inputTokens, bad!.outputTokens, PRICE.openai) +
      cost(fixed!.inputTokens, fixed!.outputTokens, PRICE.openai);
    expect(body.meta.costUsd).toBeCloseTo(expected, 9);
  });

  it('truncated output (finish_reason length) is never accepted as it stands', async () => {
    const { body } = await run(['openai:truncated', 'local:keel-local-1']);
    expect(body.meta.validation.rejected[0]).toMatchObject({ layer: 'schema', action: 're-ask' });
    expect(body.meta.reasons[0]).toMatch(/truncated/);
    expect(mock.attempts().map((a) => a.model)).toEqual(['truncated', 'truncated']);
  });

  it('a 500 once is retried on the same model and succeeds', async () => {
    const { status, body } = await run(['openai:500-once']);
    expect(status).toBe(200);
    expect(body.meta).toMatchObject({ path: 'primary', attempts: 2 });
    expect(mock.attempts().map((a) => a.status)).toEqual([500, 200]);
  });

  it('429 with retry-after: 2 waits at least 2 s before the retry, then degrades and says why', async () => {
    // An input never answered before, so the deterministic fallback (not a last good answer) serves.
    const { status, body } = await run(['openai:429-retry-after'], {
      body: `Charged twice, ref ${Date.now()}`,
    });
    expect(status).toBe(200);
    expect(body.meta).toMatchObject({ path: 'degraded', provider: 'local', attempts: 3 });
    expect(body.meta.reasons).toEqual([
      'openai:429-retry-after RateLimit (HTTP 429 rate_limit_exceeded)',
    ]);
    const attempts = mock.attempts();
    expect(attempts.map((a) => a.status)).toEqual([429, 429]);
    expect(Date.parse(attempts[1]!.at) - Date.parse(attempts[0]!.at)).toBeGreaterThanOrEqual(2_000);
  });

  it('when every candidate fails, the last good answer to the same request is served, with its age', async () => {
    const input = { subject: 'Double charge', body: `Charged twice on invoice ${Date.now()}` };
    const good = await run(['openai:ok'], input);
    expect(good.body.meta.path).toBe('primary');
    const degraded = await run(['openai:503'], input);
    expect(degraded.status).toBe(200);
    expect(degraded.body.output).toEqual(good.body.output);
    expect(degraded.body.meta).toMatchObject({
      path: 'degraded',
      provider: 'openai',
      model: 'ok',
      lastGood: { jobId: good.body.jobId },
    });
    expect(degraded.body.meta.lastGood.ageMs).toBeGreaterThanOrEqual(0);
    expect(degraded.body.meta.reasons.at(-1)).toMatch(/^served the last good answer/);
    // A different input has no last good answer: the deterministic fallback answers.
    const other = await run(['openai:503'], { subject: 'Other', body: `Never seen ${Date.now()}` });
    expect(other.body.meta).toMatchObject({ path: 'degraded', provider: 'local' });
  });

  it('with allowDegraded false, the same failure is a 502 naming each reason', async () => {
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({
        input: ticket,
        options: { route: ['openai:401'], allowDegraded: false },
      }),
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      type: expect.stringContaining('all-candidates-failed'),
      reasons: ['openai:401 Auth (HTTP 401 invalid_api_key)'],
    });
  });

  it.each([
    ['openai:400-context', 'ContextLength'],
    ['anthropic:400-context', 'ContextLength'],
    ['openai:401', 'Auth'],
    ['openai:content-filter', 'ContentFilter'],
  ])('%s is not retried: one attempt, %s, then the next candidate', async (ref, type) => {
    const { status, body } = await run([ref, 'local:keel-local-1']);
    expect(status).toBe(200);
    expect(body.meta.path).toBe('fallback');
    expect(body.meta.reasons[0]).toContain(type);
    expect(mock.attempts()).toHaveLength(1);
  });

  it('a content-filtered completion is billed and counted', async () => {
    const { body } = await run(['openai:content-filter', 'local:keel-local-1']);
    const [filtered] = mock.attempts();
    expect(filtered!.billed).toBe(true);
    expect(body.meta.costUsd).toBeCloseTo(
      cost(filtered!.inputTokens, filtered!.outputTokens, PRICE.openai),
      9,
    );
  });

  it('anthropic 529 overloaded is retried, then the route moves on', async () => {
    const { body } = await run(['anthropic:529', 'anthropic:ok']);
    expect(body.meta).toMatchObject({ model: 'ok', path: 'fallback', attempts: 3 });
    expect(body.meta.reasons[0]).toContain('Overloaded');
    expect(mock.attempts().map((a) => a.status)).toEqual([529, 529, 200]);
  });

  it('a TCP reset is a Connection failure, retried', async () => {
    const { body } = await run(['openai:reset', 'local:keel-local-1']);
    expect(body.meta.reasons[0]).toContain('Connection');
    expect(mock.attempts()).toHaveLength(2);
  });

  it('an unknown model or provider in options.route is a 400 naming the entry; nothing is called', async () => {
    const { status, body } = await run(['openai:ok', 'openai:gpt-99', 'mistral:large']);
    expect(status).toBe(400);
    expect(body.errors.map((e: any) => e.field)).toEqual(['options.route[1]', 'options.route[2]']);
    expect(mock.attempts()).toHaveLength(0);
  });

  it('a hanging upstream with maxSyncMs 1000 answers 202 with the job; the work goes on', async () => {
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({ input: ticket, options: { route: ['openai:hang'], maxSyncMs: 1000 } }),
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    expect(res.headers.get('location')).toBe(`/v1/jobs/${jobId}`);
    const job = (await (await stack.call(`/v1/jobs/${jobId}`)).json()) as any;
    expect(job.status).toBe('running');
  });
});

describe('Idempotency-Key', () => {
  const post = (key: string, input: unknown = ticket) =>
    stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      body: JSON.stringify({ input, options: { route: ['openai:slow'] } }),
    });

  it('concurrent duplicates start one workflow and make one upstream call; a later retry gets the same result', async () => {
    const key = `order-${Date.now()}`;
    const [a, b] = await Promise.all([post(key), post(key)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const [ja, jb] = (await Promise.all([a.json(), b.json()])) as any[];
    expect(ja.jobId).toBe(jb.jobId);
    expect(ja.output).toEqual(jb.output);
    const later = (await (await post(key)).json()) as any;
    expect(later).toMatchObject({ jobId: ja.jobId, output: ja.output });
    expect(mock.attempts().filter((x) => x.model === 'slow')).toHaveLength(1);
  });

  it('the same key for a different request is a 422; a malformed key is a 400', async () => {
    const key = `k-${Date.now()}`;
    expect((await post(key)).status).toBe(200);
    const reused = await post(key, { subject: 'Other', body: 'A different ticket' });
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as any).type).toContain('idempotency-key-reused');
    const bad = await post('has spaces in it');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).errors[0].field).toBe('header.idempotency-key');
  });
});
