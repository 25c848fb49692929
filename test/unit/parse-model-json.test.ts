import { describe, expect, it } from 'vitest';
import { parseModelJson } from '../../shared/guards/parse-model-json';
import { parseRetryAfter } from '../../shared/policy/retry-after';

describe('parseModelJson', () => {
  it('parses plain, fenced and prose-prefixed JSON and says which repair it used', () => {
    expect(parseModelJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 }, repaired: 'none' });
    expect(parseModelJson('Here is the result:\n```json\n{"a":"}"}\n```')).toEqual({
      ok: true,
      value: { a: '}' },
      repaired: 'fence',
    });
    expect(parseModelJson('Sure! {"a": [1, {"b": "x{"}]} Hope it helps')).toEqual({
      ok: true,
      value: { a: [1, { b: 'x{' }] },
      repaired: 'extracted',
    });
  });

  it('names the failure: empty, no JSON, truncated, invalid', () => {
    expect(parseModelJson('   ')).toMatchObject({ ok: false, reason: 'empty' });
    expect(parseModelJson(null)).toMatchObject({ ok: false, reason: 'empty' });
    expect(parseModelJson('I cannot help with that.')).toMatchObject({
      ok: false,
      reason: 'no-json',
    });
    expect(parseModelJson('{"summary": "The outage began at 09:12 and')).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
    expect(parseModelJson('{"a": 1,}')).toMatchObject({ ok: false, reason: 'invalid' });
  });
});

describe('parseRetryAfter', () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  const now = Date.parse('2026-11-29T12:00:00Z');

  it('prefers retry-after-ms, then seconds, then an HTTP date', () => {
    expect(parseRetryAfter(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(
      1500,
    );
    expect(parseRetryAfter(headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(parseRetryAfter(headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(headers({ 'retry-after': 'Sun, 29 Nov 2026 12:00:03 GMT' }), now)).toBe(
      3000,
    );
  });

  it('ignores absent, unreadable or negative values; a past date means now', () => {
    expect(parseRetryAfter(headers({}), now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': '-3' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': 'Sun, 29 Nov 2026 11:59:00 GMT' }), now)).toBe(
      0,
    );
  });
});
