import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from '../../server/auth-failures';

describe('AuthFailureLimiter', () => {
  it('blocks an address after N failures in its minute, then lets it try again', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter(3, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.blockedFor('10.0.0.1')).toBeUndefined();
      limiter.fail('10.0.0.1');
    }
    expect(limiter.blockedFor('10.0.0.1')).toBe(60);
    // Another address is not affected.
    expect(limiter.blockedFor('10.0.0.2')).toBeUndefined();
    now += 45_500;
    expect(limiter.blockedFor('10.0.0.1')).toBe(15);
    now += 14_500;
    expect(limiter.blockedFor('10.0.0.1')).toBeUndefined();
    limiter.fail('10.0.0.1');
    expect(limiter.blockedFor('10.0.0.1')).toBeUndefined();
  });

  it('is off at 0 and forgets the oldest address past its bound', () => {
    const off = new AuthFailureLimiter(0);
    for (let i = 0; i < 100; i++) off.fail('a');
    expect(off.blockedFor('a')).toBeUndefined();

    const small = new AuthFailureLimiter(1, () => 0, 2);
    small.fail('a');
    small.fail('b');
    small.fail('c');
    expect(small.blockedFor('a')).toBeUndefined();
    expect(small.blockedFor('b')).toBe(60);
    expect(small.blockedFor('c')).toBe(60);
  });
});
