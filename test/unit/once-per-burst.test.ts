import { describe, expect, it } from 'vitest';
import { oncePerBurst } from '../../server/redis-result-cache';

describe('oncePerBurst (result cache errors)', () => {
  it('reports the first error at once, counts the rest of its burst, reports the next burst with the count', () => {
    let now = 0;
    const reports: [string, number][] = [];
    const onError = oncePerBurst((err, suppressed) => reports.push([err.message, suppressed]), {
      quietMs: 30_000,
      now: () => now,
    });
    onError(new Error('ECONNREFUSED'));
    for (let i = 0; i < 50; i++) {
      now += 100;
      onError(new Error('ECONNREFUSED'));
    }
    expect(reports).toEqual([['ECONNREFUSED', 0]]);
    now = 30_000;
    onError(new Error('Command timed out'));
    expect(reports).toEqual([
      ['ECONNREFUSED', 0],
      ['Command timed out', 50],
    ]);
  });
});
