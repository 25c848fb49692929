import { describe, expect, it } from 'vitest';
import {
  legacyRouteReasonOf,
  routeReasonOfFailure,
  type RouteReason,
} from '../../shared/contracts/route-reasons';
import {
  breakerStateValue,
  pathEvent,
  routeReasonsOf,
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

describe('routeReasonOfFailure', () => {
  it("maps a failed call's type to its route reason; an unknown type is other", () => {
    expect(routeReasonOfFailure('RateLimit')).toBe('rate-limit');
    expect(routeReasonOfFailure('TimeoutFailure')).toBe('timeout');
    expect(routeReasonOfFailure('QuotaExceeded')).toBe('provider-error');
    expect(routeReasonOfFailure('SomethingNew')).toBe('other');
    expect(routeReasonOfFailure(undefined)).toBe('other');
  });
});

describe('legacyRouteReasonOf (results recorded before reasonCodes)', () => {
  it('reads the lines older workflows wrote', () => {
    const of = legacyRouteReasonOf;
    expect(of('openai:503 ServerError: 503 service unavailable')).toBe('server-error');
    expect(of('openai:429-bare RateLimit: rate limited')).toBe('rate-limit');
    expect(of('anthropic:529 Overloaded: overloaded')).toBe('overloaded');
    expect(of('openai:hang TimeoutFailure: Activity task timed out')).toBe('timeout');
    expect(of('openai:401 Auth: invalid key')).toBe('provider-error');
    expect(of('openai:ok BudgetExceeded: over budget')).toBe('budget');
    expect(of('openai:ok circuit open')).toBe('circuit-open');
    expect(of('openai:ok policy: no-pii-to-vendors')).toBe('data-policy');
    expect(of('openai:ok not called: the tenant-requestsPerMinute limit is reached')).toBe(
      'limit-reached',
    );
    expect(of('openai:rule-violation failed rules: confidence 0.2 → next')).toBe('invalid-answer');
    expect(of('hedged: started openai:ok after 300 ms without an answer')).toBe('hedge');
    expect(of('hard timeout: 30000 ms spent on the route')).toBe('hard-timeout');
    expect(of('review deadline passed: served the proposed answer')).toBe('review-deadline');
    expect(of('openai:ok Error: something new')).toBe('other');
    // Not about the route.
    expect(of('served the last good answer (job-1, 3 s old)')).toBeUndefined();
    expect(of('verifier gave no verdict, failed open: timeout')).toBeUndefined();
  });
});

type Meta = Parameters<typeof pathEvent>[0];
type Line = [RouteReason | null, string];
/** A result as the workflow records it now: each line with its code. */
const coded = (path: string, lines: Line[], provider = 'openai', model = 'ok'): Meta =>
  ({
    path,
    provider,
    model,
    reasons: lines.map(([, l]) => l),
    reasonCodes: lines.map(([c]) => c),
  }) as Meta;

describe('pathEvent', () => {
  it('a fallback by what stopped the first candidate', () => {
    expect(
      pathEvent(
        coded('fallback', [
          [null, 'injection model check gave no verdict, failed open: down'],
          ['server-error', 'openai:503 ServerError: 503'],
          ['provider-error', 'anthropic:401 Auth: bad key'],
        ]),
      ),
    ).toEqual({ kind: 'fallback', reason: 'server-error' });
    expect(pathEvent(coded('fallback', []))).toEqual({ kind: 'fallback', reason: 'other' });
  });

  it('a degradation by what made the route give up', () => {
    expect(
      pathEvent(
        coded('degraded', [
          ['server-error', 'openai:503 ServerError: 503'],
          ['hard-timeout', 'hard timeout: 100 ms spent on the route'],
          [null, 'served the last good answer (job-1, 3 s old)'],
        ]),
      ),
    ).toEqual({ kind: 'degradation', reason: 'hard-timeout' });
    expect(
      pathEvent(
        coded('degraded', [
          ['server-error', 'openai:503 ServerError: 503'],
          ['hedge', 'hedged: started anthropic:hang after 300 ms; neither answered'],
        ]),
      ),
    ).toEqual({ kind: 'degradation', reason: 'server-error' });
    // Every candidate failed and a person writes the answer.
    expect(
      pathEvent(coded('review', [['provider-error', 'openai:401 Auth: bad']], 'review', 'human')),
    ).toEqual({ kind: 'degradation', reason: 'provider-error' });
  });

  it('reads the codes, never the wording: reworded lines keep their label', () => {
    expect(
      pathEvent(
        coded('fallback', [
          ['rate-limit', 'the first model was throttled (429)'],
          [null, 'openai:ok circuit open'],
        ]),
      ),
    ).toEqual({ kind: 'fallback', reason: 'rate-limit' });
    expect(
      pathEvent(coded('degraded', [['review-deadline', 'nobody reviewed it in time']])),
    ).toEqual({ kind: 'degradation', reason: 'review-deadline' });
  });

  it('a result recorded without codes (older workflow code): the legacy parse of its lines', () => {
    const legacy = (path: string, reasons: string[], provider = 'openai', model = 'ok') =>
      ({ path, reasons, provider, model }) as Meta;
    expect(
      pathEvent(legacy('fallback', ['openai:ok circuit open', 'openai:401 Auth: bad'])),
    ).toEqual({ kind: 'fallback', reason: 'circuit-open' });
    expect(
      pathEvent(
        legacy('degraded', ['openai:ok failed rules: x → review', 'review deadline passed']),
      ),
    ).toEqual({ kind: 'degradation', reason: 'review-deadline' });
    expect(pathEvent(legacy('review', ['openai:401 Auth: bad'], 'review', 'human'))).toEqual({
      kind: 'degradation',
      reason: 'provider-error',
    });
    // Codes that are not one per line are not trusted: the lines are parsed.
    const torn = { ...legacy('fallback', ['openai:429 RateLimit: x']), reasonCodes: [] };
    expect(routeReasonsOf(torn)).toEqual(['rate-limit']);
  });

  it('nothing for a primary, cached or reviewed answer', () => {
    const rejected: Line[] = [['invalid-answer', 'openai:ok failed rules: x → review']];
    expect(pathEvent(coded('primary', rejected))).toBeUndefined();
    expect(pathEvent(coded('cache', []))).toBeUndefined();
    expect(pathEvent(coded('review', rejected))).toBeUndefined();
  });
});

it('breakerStateValue: 0 closed, 1 half-open, 2 open', () => {
  expect(['closed', 'half_open', 'open'].map((s) => breakerStateValue(s as 'open'))).toEqual([
    0, 1, 2,
  ]);
});
