import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { costUsd } from '../../activities/models/cost';
import { ProviderFailure, toCallFailure } from '../../activities/models/providers/classify-error';

const ctx = {
  provider: 'openai',
  model: 'gpt-x',
  maxRetryAfterMs: 10_000,
  now: Date.parse('2026-11-29T12:00:00Z'),
};
/** Shaped like both SDKs' APIError: status, headers, vendor code. */
const apiError = (
  status: number | undefined,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) =>
  Object.assign(new Error('vendor says something that may echo the prompt'), {
    status,
    headers: new Headers(headers),
    ...extra,
  });

describe('toCallFailure', () => {
  it.each([
    [apiError(429), 'RateLimit', false],
    [apiError(429, { code: 'insufficient_quota' }), 'QuotaExceeded', true],
    [
      apiError(529, { error: { type: 'error', error: { type: 'overloaded_error' } } }),
      'Overloaded',
      false,
    ],
    [apiError(500), 'ServerError', false],
    [apiError(503), 'ServerError', false],
    [apiError(408), 'Timeout', false],
    [apiError(409), 'ServerError', false],
    [apiError(400), 'BadRequest', true],
    [apiError(422), 'BadRequest', true],
    [apiError(400, { code: 'context_length_exceeded' }), 'ContextLength', true],
    [
      Object.assign(apiError(400), {
        message: 'prompt is too long: 250000 tokens > 200000 maximum',
      }),
      'ContextLength',
      true,
    ],
    [apiError(400, { code: 'content_policy_violation' }), 'ContentFilter', true],
    [apiError(401), 'Auth', true],
    [apiError(403), 'Auth', true],
    [apiError(404), 'NotFound', true],
    [
      Object.assign(new Error('Connection error.'), { name: 'APIConnectionError' }),
      'Connection',
      false,
    ],
    [
      Object.assign(new Error('Request timed out.'), { name: 'APIConnectionTimeoutError' }),
      'Timeout',
      false,
    ],
    [new ProviderFailure('ContentFilter', 'refused'), 'ContentFilter', true],
  ])('%#: classifies as %s (nonRetryable %s)', (err, type, nonRetryable) => {
    const failure = toCallFailure(err, ctx);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
    expect(failure.message).not.toContain('echo the prompt');
  });

  it('takes nextRetryDelay from Retry-After and caps it', () => {
    expect(toCallFailure(apiError(429, {}, { 'retry-after-ms': '1500' }), ctx).nextRetryDelay).toBe(
      1500,
    );
    expect(toCallFailure(apiError(429, {}, { 'retry-after': '2' }), ctx).nextRetryDelay).toBe(2000);
    expect(
      toCallFailure(apiError(503, {}, { 'retry-after': 'Sun, 29 Nov 2026 12:00:03 GMT' }), ctx)
        .nextRetryDelay,
    ).toBe(3000);
    expect(toCallFailure(apiError(429, {}, { 'retry-after': '120' }), ctx).nextRetryDelay).toBe(
      10_000,
    );
    // No Retry-After: jittered exponential backoff instead of Temporal's fixed schedule.
    expect(
      toCallFailure(apiError(429), { ...ctx, attempt: 1, random: () => 0.5 }).nextRetryDelay,
    ).toBe(125);
    expect(
      toCallFailure(apiError(503), { ...ctx, attempt: 3, random: () => 1 }).nextRetryDelay,
    ).toBe(1000);
    expect(
      toCallFailure(apiError(503), { ...ctx, attempt: 10, random: () => 1 }).nextRetryDelay,
    ).toBe(5000);
    // A non-retryable failure never carries a delay.
    expect(
      toCallFailure(apiError(401, {}, { 'retry-after': '2' }), ctx).nextRetryDelay,
    ).toBeUndefined();
  });

  it('a Retry-After beyond the budget is not waited for: non-retryable, so the route moves on', () => {
    const failure = toCallFailure(apiError(429, {}, { 'retry-after': '20' }), {
      ...ctx,
      retryAfterBudgetMs: 8_000,
    });
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('RateLimit');
    expect(failure.message).toContain('exceeds the 8000 ms budget');
    const within = toCallFailure(apiError(429, {}, { 'retry-after': '2' }), {
      ...ctx,
      retryAfterBudgetMs: 8_000,
    });
    expect(within).toMatchObject({ nonRetryable: false, nextRetryDelay: 2000 });
  });

  it('keeps status, vendor code and request id in the details, not the vendor text', () => {
    const failure = toCallFailure(
      apiError(429, { code: 'rate_limit_exceeded', requestID: 'req_1' }),
      ctx,
    );
    expect(failure.message).toBe('RateLimit (HTTP 429 rate_limit_exceeded)');
    expect(failure.details?.[0]).toMatchObject({
      provider: 'openai',
      model: 'gpt-x',
      status: 429,
      requestId: 'req_1',
    });
  });
});

describe('costUsd', () => {
  it('prices fresh input, cached input and output per million tokens', () => {
    expect(
      costUsd(
        { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 0 },
        { input: 2, output: 8 },
      ),
    ).toBe(2);
    expect(
      costUsd(
        { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 400 },
        { input: 2, output: 8, cachedInput: 1 },
      ),
    ).toBeCloseTo((600 * 2 + 400 * 1 + 500 * 8) / 1e6, 12);
    // Without a cached price, cached tokens cost the input price.
    expect(
      costUsd(
        { inputTokens: 10, outputTokens: 0, cachedInputTokens: 10 },
        { input: 3, output: 15 },
      ),
    ).toBeCloseTo(30 / 1e6, 12);
  });
});
