import { describe, expect, it } from 'vitest';
import {
  breakerStateValue,
  pathEvent,
  routeReasonOf,
  ruleLabel,
} from '../../shared/platform/metric-labels';

describe('ruleLabel', () => {
  it("names a task's own rule, the common ones, schema issues; anything else is other", () => {
    const rule = (r?: string) => [{ field: 'f', message: 'm', ...(r ? { rule: r } : {}) }];
    expect(ruleLabel('classify-ticket', 'rules', rule('confidence-at-least-tenant-minimum'))).toBe(
      'confidence-at-least-tenant-minimum',
    );
    expect(ruleLabel('classify-ticket', 'schema', rule('parse'))).toBe('parse');
    expect(ruleLabel('classify-ticket', 'moderation', rule('output-pii'))).toBe('output-pii');
    expect(ruleLabel('classify-ticket', 'schema', rule())).toBe('schema');
    // Another task's rule, an invented one, a task nobody defined, no issue at all.
    expect(ruleLabel('classify-ticket', 'rules', rule('summary-within-max-words'))).toBe('other');
    expect(ruleLabel('summarize', 'rules', rule('summary-within-max-words'))).toBe(
      'summary-within-max-words',
    );
    expect(ruleLabel('no-such-task', 'rules', rule('x'))).toBe('other');
    expect(ruleLabel('classify-ticket', 'rules', [])).toBe('other');
    // The first broken rule names the answer.
    expect(ruleLabel('classify-ticket', 'grounding', [...rule('grounding'), ...rule('x')])).toBe(
      'grounding',
    );
  });
});

describe('routeReasonOf', () => {
  it('reads the lines the workflow writes', () => {
    expect(routeReasonOf('openai:503 ServerError: 503 service unavailable')).toBe('server-error');
    expect(routeReasonOf('openai:429-bare RateLimit: rate limited')).toBe('rate-limit');
    expect(routeReasonOf('anthropic:529 Overloaded: overloaded')).toBe('overloaded');
    expect(routeReasonOf('openai:hang TimeoutFailure: Activity task timed out')).toBe('timeout');
    expect(routeReasonOf('openai:401 Auth: invalid key')).toBe('provider-error');
    expect(routeReasonOf('openai:ok BudgetExceeded: over budget')).toBe('budget');
    expect(routeReasonOf('openai:ok circuit open')).toBe('circuit-open');
    expect(routeReasonOf('openai:ok policy: no-pii-to-vendors')).toBe('data-policy');
    expect(
      routeReasonOf('openai:ok not called: the tenant-requestsPerMinute limit is reached'),
    ).toBe('limit-reached');
    expect(routeReasonOf('openai:rule-violation failed rules: confidence 0.2 → next')).toBe(
      'invalid-answer',
    );
    expect(routeReasonOf('hedged: started openai:ok after 300 ms without an answer')).toBe('hedge');
    expect(routeReasonOf('hard timeout: 30000 ms spent on the route')).toBe('hard-timeout');
    expect(routeReasonOf('review deadline passed: served the proposed answer')).toBe(
      'review-deadline',
    );
    expect(routeReasonOf('openai:ok Error: something new')).toBe('other');
    // Not about the route.
    expect(routeReasonOf('served the last good answer (job-1, 3 s old)')).toBeUndefined();
    expect(routeReasonOf('verifier gave no verdict, failed open: timeout')).toBeUndefined();
  });
});

describe('pathEvent', () => {
  const meta = (path: string, reasons: string[], provider = 'openai', model = 'ok') =>
    ({ path, reasons, provider, model }) as Parameters<typeof pathEvent>[0];

  it('a fallback by what stopped the first candidate', () => {
    expect(
      pathEvent(
        meta('fallback', [
          'injection model check gave no verdict, failed open: down',
          'openai:503 ServerError: 503',
          'anthropic:401 Auth: bad key',
        ]),
      ),
    ).toEqual({ kind: 'fallback', reason: 'server-error' });
    expect(pathEvent(meta('fallback', []))).toEqual({ kind: 'fallback', reason: 'other' });
  });

  it('a degradation by what made the route give up', () => {
    expect(
      pathEvent(
        meta('degraded', [
          'openai:503 ServerError: 503',
          'hard timeout: 100 ms spent on the route',
          'served the last good answer (job-1, 3 s old)',
        ]),
      ),
    ).toEqual({ kind: 'degradation', reason: 'hard-timeout' });
    expect(
      pathEvent(
        meta('degraded', ['openai:ok failed rules: x → review', 'review deadline passed: served']),
      ),
    ).toEqual({ kind: 'degradation', reason: 'review-deadline' });
    expect(
      pathEvent(
        meta('degraded', [
          'openai:503 ServerError: 503',
          'hedged: started anthropic:hang after 300 ms without an answer from openai:503; neither answered',
        ]),
      ),
    ).toEqual({ kind: 'degradation', reason: 'server-error' });
    // Every candidate failed and a person writes the answer.
    expect(pathEvent(meta('review', ['openai:401 Auth: bad'], 'review', 'human'))).toEqual({
      kind: 'degradation',
      reason: 'provider-error',
    });
  });

  it('nothing for a primary, cached or reviewed answer', () => {
    expect(pathEvent(meta('primary', ['openai:ok failed schema: x → re-ask']))).toBeUndefined();
    expect(pathEvent(meta('cache', []))).toBeUndefined();
    expect(pathEvent(meta('review', ['openai:ok failed rules: x → review']))).toBeUndefined();
  });
});

it('breakerStateValue: 0 closed, 1 half-open, 2 open', () => {
  expect(['closed', 'half_open', 'open'].map((s) => breakerStateValue(s as 'open'))).toEqual([
    0, 1, 2,
  ]);
});
