import { describe, expect, it } from 'vitest';
import { Instant } from '../../shared/contracts/instant';

describe('Instant (from/to of /v1/usage, /v1/evaluations, /v1/admin/debug-samples)', () => {
  it('reads an RFC 3339 date-time, with fractions or an offset, and a date as UTC midnight', () => {
    expect(Instant.parse('2026-12-01T08:30:00Z')).toBe(Date.UTC(2026, 11, 1, 8, 30));
    expect(Instant.parse('2026-12-01T08:30:00.250Z')).toBe(Date.UTC(2026, 11, 1, 8, 30, 0, 250));
    expect(Instant.parse('2026-12-01T09:30:00+01:00')).toBe(Date.UTC(2026, 11, 1, 8, 30));
    expect(Instant.parse('2026-12-01')).toBe(Date.UTC(2026, 11, 1));
  });

  it('refuses what Date.parse would guess at: a bare number, words, a month 13, no zone', () => {
    for (const bad of ['0.5', '1733011200000', 'yesterday', '2026-13-01', '2026-12-01T08:30:00'])
      expect(Instant.safeParse(bad).success, bad).toBe(false);
  });
});
