import { describe, expect, it } from 'vitest';
import { rateLimitHeaders, type AdmitVerdict } from '../../shared/tenancy/limits';

describe('rateLimitHeaders', () => {
  const report = [
    {
      scope: 'tenant',
      limit: 'requests',
      quota: 60,
      windowS: 60,
      remaining: 12,
      resetS: 30,
    },
    {
      scope: 'key',
      limit: 'tokens',
      quota: 100_000,
      windowS: 60,
      remaining: 0,
      resetS: 41,
    },
    { scope: 'key', limit: 'concurrency', quota: 4, remaining: 3, resetS: 7 },
  ] satisfies AdmitVerdict['report'];

  it('lists every policy set and where it stands, as structured-field lists', () => {
    expect(rateLimitHeaders({ ok: true, report })).toEqual({
      'RateLimit-Policy':
        '"tenant-requests";q=60;w=60, "key-tokens";q=100000;qu="tokens";w=60, "key-concurrency";q=4;qu="concurrent-requests"',
      // A concurrency limit with slots left has no reset time: it is not a window.
      RateLimit: '"tenant-requests";r=12;t=30, "key-tokens";r=0;t=41, "key-concurrency";r=3',
    });
  });

  it('adds Retry-After on a refusal, the refusing policy resetting at the same moment', () => {
    const refused: AdmitVerdict = {
      ok: false,
      scope: 'key',
      limit: 'tokens',
      retryAfterS: 41,
      exceedsQuota: false,
      report,
      at: 0,
    };
    const headers = rateLimitHeaders(refused);
    expect(headers['Retry-After']).toBe('41');
    expect(headers.RateLimit).toContain('"key-tokens";r=0;t=41');
  });

  it('sends nothing for unlimited scopes', () => {
    expect(rateLimitHeaders({ ok: true, report: [] })).toEqual({});
  });
});
