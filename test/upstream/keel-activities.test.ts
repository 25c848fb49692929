import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActivities, type CallModelResult, type ValidationResult } from '../../activities';
import { createAnthropicProvider } from '../../activities/models/providers/anthropic-provider';
import { createLocalProvider } from '../../activities/models/providers/local-provider';
import { createOpenAIProvider } from '../../activities/models/providers/openai-provider';
import { parseFileConfig } from '../../shared/platform/config-file';
import { createLogger } from '../../shared/platform/logger';
import { BUILT_IN_POLICY } from '../../shared/policy/resolve-policy';
import type { ValidationLayer } from '../../shared/contracts/job';
import { INJECTED, SCENARIOS, startMockUpstream, type MockUpstream } from '../mock-upstream';

/**
 * Every upstream scenario through Keel's own activities (callModel, then validateOutput), with
 * the real SDK adapters over loopback: the failure type, the retry decision and delay, and the
 * usage and cost, checked against the upstream's attempt log.
 */
const PRICE = { input: 2, output: 8 };
const T0 = Date.parse('2026-11-29T12:00:00Z');
let mock: MockUpstream;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  // A frozen clock keeps `flap` in its failing half; small delays keep the run short.
  mock = await startMockUpstream({
    port: 0,
    ttftMs: 200,
    slow: { medianMs: 50, p99Ms: 120 },
    now: () => T0,
  });
  const registry = parseFileConfig(
    {
      providers: [
        { name: 'openai', type: 'openai' },
        { name: 'anthropic', type: 'anthropic' },
        { name: 'ollama', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' },
      ],
      models: [
        {
          provider: 'ollama',
          name: 'ok',
          capabilities: { structuredOutput: false },
          price: { input: 0, output: 0 },
        },
        ...SCENARIOS.flatMap((s) => [
          { provider: 'openai', name: s.name, price: PRICE },
          { provider: 'anthropic', name: s.name, price: PRICE },
        ]),
      ],
      maxRetryAfterMs: 10_000,
    },
    'test',
  );
  activities = createActivities({
    logger: createLogger({ name: 'test', level: 'silent' }),
    inputKeySecret: 'test-input-key-secret',
    registry,
    providers: [
      createLocalProvider(),
      createOpenAIProvider({ name: 'openai', apiKey: 'test', baseURL: `${mock.url}/v1` }),
      createAnthropicProvider({ name: 'anthropic', apiKey: 'test', baseURL: mock.url }),
      // An OpenAI-compatible server (Ollama, vLLM) without native structured output: JSON mode.
      createOpenAIProvider({ name: 'ollama', baseURL: `${mock.url}/v1` }),
    ],
    now: () => T0,
  });
});
afterAll(() => mock?.close());
beforeEach(() => mock.clearAttempts());

const input = { subject: 'Refund', body: 'I was charged twice for my subscription' };
const call = (provider: string, model: string, ticket = input): Promise<CallModelResult> =>
  new MockActivityEnvironment({ startToCloseTimeoutMs: 1_000 }).run(activities.callModel, {
    task: 'classify-ticket',
    input: ticket,
    provider,
    model,
  });

const validate = (result: CallModelResult): Promise<ValidationResult> =>
  new MockActivityEnvironment().run(activities.validateOutput, {
    task: 'classify-ticket',
    output: result.output,
    text: result.text,
    input,
    policy: BUILT_IN_POLICY,
  });

type Expect =
  | { valid: true; parse?: 'fence'; masked?: string }
  | { valid: false; layer: ValidationLayer; reason: RegExp }
  | { failure: string; retryable: boolean; delayMs?: [number, number] };

const EXPECT: Record<string, Expect | { openai: Expect; anthropic: Expect }> = {
  ok: { valid: true },
  slow: { valid: true },
  'slow-ttft': { valid: true },
  'no-done': { valid: true },
  'fenced-json': { valid: true, parse: 'fence' },
  // The upstream drops the closing brace, so the parser sees an unbalanced (truncated) object.
  'invalid-json': { valid: false, layer: 'schema', reason: /invalid|no-json|truncated/ },
  truncated: { valid: false, layer: 'schema', reason: /truncated/ },
  // Schema-valid answers that the later layers must catch.
  'rule-violation': { valid: false, layer: 'rules', reason: /confidence/ },
  'fabricated-citation': { valid: false, layer: 'grounding', reason: /Okafor|not found|quote/i },
  // PII the input did not have is masked (the default output policy), not returned.
  'pii-output': { valid: true, masked: INJECTED.email },
  'toxic-output': { valid: false, layer: 'moderation', reason: /profanity/ },
  '429-retry-after': { failure: 'RateLimit', retryable: true, delayMs: [2000, 2000] },
  '429-retry-after-ms': {
    openai: { failure: 'RateLimit', retryable: true, delayMs: [1500, 1500] },
    anthropic: { failure: 'RateLimit', retryable: true, delayMs: [2000, 2000] },
  },
  '429-http-date': { failure: 'RateLimit', retryable: true, delayMs: [1000, 3000] },
  '429-bare': { failure: 'RateLimit', retryable: true },
  '500-once': { failure: 'ServerError', retryable: true },
  '503': { failure: 'ServerError', retryable: true },
  '529': {
    openai: { failure: 'ServerError', retryable: true },
    anthropic: { failure: 'Overloaded', retryable: true },
  },
  flap: { failure: 'ServerError', retryable: true },
  '401': { failure: 'Auth', retryable: false },
  '400-context': { failure: 'ContextLength', retryable: false },
  'content-filter': { failure: 'ContentFilter', retryable: false },
  reset: { failure: 'Connection', retryable: true },
  'stream-cut': { failure: 'Connection', retryable: true },
  'malformed-chunk': { failure: 'Connection', retryable: true },
  hang: { failure: 'Timeout', retryable: true },
  'stream-stall': { failure: 'Timeout', retryable: true },
  // The body starts at once, then crawls or stops: the attempt's deadline covers it too.
  trickle: { failure: 'Timeout', retryable: true },
  'stall-midway': { failure: 'Timeout', retryable: true },
  // Without tools in the request, an ordinary answer.
  'tool-call': { valid: true },
  // The first 50 calls of a drift scenario answer as ok (docs/drift.md).
  'drift-refusals': { valid: true },
  'drift-longer': { valid: true },
  'drift-categories': { valid: true },
  'drift-unfaithful': { valid: true },
  // Unfaithful is the verifier's to judge (docs/verifier.md): without one, a valid answer.
  unfaithful: { valid: true },
};

const cases = SCENARIOS.flatMap((s) =>
  (['openai', 'anthropic'] as const).map((provider) => {
    const e = EXPECT[s.name];
    return [s.name, provider, e && 'openai' in e ? e[provider] : e] as const;
  }),
);

describe('each upstream scenario through callModel + validateOutput', () => {
  it('has an expectation for every scenario the upstream lists', () => {
    expect(SCENARIOS.map((s) => s.name).filter((n) => !EXPECT[n])).toEqual([]);
  });

  it.each(cases)('%s via %s', async (scenario, provider, expected) => {
    if (!expected) throw new Error(`no expectation for ${scenario}`);
    const outcome = await call(provider, scenario).then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    const [attempt] = mock.attempts();
    expect(attempt).toMatchObject({ api: provider, model: scenario });

    if ('failure' in expected) {
      expect(outcome.ok).toBe(false);
      const failure = (outcome as { e: unknown }).e as ApplicationFailure;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure.type).toBe(expected.failure);
      expect(failure.nonRetryable).toBe(!expected.retryable);
      if (expected.delayMs) {
        expect(failure.nextRetryDelay).toBeGreaterThanOrEqual(expected.delayMs[0]);
        expect(failure.nextRetryDelay).toBeLessThanOrEqual(expected.delayMs[1]);
      } else if (!expected.retryable) expect(failure.nextRetryDelay).toBeUndefined();
      else expect(failure.nextRetryDelay).toBeLessThanOrEqual(250); // jittered backoff, attempt 1
      const details = failure.details?.[0] as { billedUsage?: unknown; billedCostUsd?: number };
      // A completed-but-refused answer carries its billed usage. (A body cut half-way is billed
      // by the vendor too, but its usage never reaches Keel: a known blind spot.)
      if (scenario === 'content-filter') expect(details.billedUsage).toBeDefined();
      if (!attempt!.billed) expect(details.billedUsage).toBeUndefined();
      if (details.billedUsage) {
        expect(details.billedCostUsd).toBeCloseTo(
          (attempt!.inputTokens * 2 + attempt!.outputTokens * 8) / 1e6,
          9,
        );
      }
      return;
    }

    expect(outcome.ok).toBe(true);
    const result = (outcome as { r: Awaited<ReturnType<typeof activities.callModel>> }).r;
    expect(result.usage).toMatchObject({
      inputTokens: attempt!.inputTokens,
      outputTokens: attempt!.outputTokens,
    });
    expect(result.costUsd).toBeCloseTo(
      (attempt!.inputTokens * 2 + attempt!.outputTokens * 8) / 1e6,
      9,
    );
    const validation = await validate(result);
    if (!expected.valid) {
      expect(validation.ok).toBe(false);
      expect(validation.failed?.layer).toBe(expected.layer);
      expect(validation.failed?.issues[0]?.message).toMatch(expected.reason);
      return;
    }
    expect(validation.failed).toBeUndefined();
    expect(validation.ok).toBe(true);
    if (expected.parse) expect(validation.parse).toBe(expected.parse);
    if (expected.masked) {
      expect(JSON.stringify(validation.output)).not.toContain(expected.masked);
      expect(JSON.stringify(validation.output)).toContain('[EMAIL]');
      expect(validation.layers.moderation.status).toBe('repaired');
    }
  });

  it('an OpenAI-compatible model without json_schema gets JSON mode with the schema in the system turn', async () => {
    const result = await call('ollama', 'ok');
    const [attempt] = mock.attempts();
    const system = JSON.stringify(
      (attempt!.request.messages as Array<{ role: string; content: string }>)[0],
    );
    expect(system).toContain('JSON Schema');
    const validation = await validate(result);
    expect(validation).toMatchObject({ ok: true, output: { category: 'BILLING' } });
    expect(result.costUsd).toBe(0);
  });

  it('500-once: the retry of the same request succeeds', async () => {
    // A body the upstream has not seen yet (it remembers bodies, not attempts).
    const fresh = { subject: 'Invoice', body: 'Please resend my invoice for March' };
    await expect(call('openai', '500-once', fresh)).rejects.toMatchObject({ type: 'ServerError' });
    const second: CallModelResult = await call('openai', '500-once', fresh);
    expect(second.output ?? second.text).toBeTruthy();
    expect(mock.attempts().map((a) => a.status)).toEqual([500, 200]);
  });
});
