import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, nextRestart } from '../../temporal/restart-policy';

describe('nextRestart: the supervisor’s backoff and crash-loop limit', () => {
  const policy = { initialMs: 500, maxMs: 4_000, limit: 3, windowMs: 60_000, stableMs: 10_000 };

  it('doubles the delay for each recent restart, up to the cap', () => {
    expect(nextRestart([], 100_000, policy)).toEqual({ restart: true, delayMs: 500, recent: 0 });
    expect(nextRestart([99_000], 100_000, policy)).toMatchObject({ restart: true, delayMs: 1_000 });
    expect(
      nextRestart([98_000, 99_000], 100_000, { ...policy, limit: 10, maxMs: 1_500 }),
    ).toMatchObject({
      delayMs: 1_500,
    });
  });

  it('a process that ran stably before it died restarts after the first delay again', () => {
    expect(nextRestart([80_000, 90_000], 100_000, policy, 10_000)).toEqual({
      restart: true,
      delayMs: 500,
      recent: 2,
    });
    expect(nextRestart([80_000, 90_000], 100_000, policy, 9_999)).toMatchObject({ delayMs: 2_000 });
    // ... but the crash-loop limit counts every restart in the window.
    expect(nextRestart([70_000, 80_000, 90_000], 100_000, policy, 60_000)).toMatchObject({
      restart: false,
    });
  });

  it('gives up after `limit` restarts inside the window: a crash loop', () => {
    expect(nextRestart([97_000, 98_000, 99_000], 100_000, policy)).toEqual({
      restart: false,
      recent: 3,
    });
  });

  it('forgets restarts older than the window', () => {
    expect(nextRestart([1_000, 2_000, 3_000], 100_000, policy)).toEqual({
      restart: true,
      delayMs: 500,
      recent: 0,
    });
  });

  it('defaults: 0.5 s first, at most 5 restarts a minute', () => {
    expect(DEFAULT_RESTART_POLICY).toMatchObject({
      initialMs: 500,
      limit: 5,
      windowMs: 60_000,
      stableMs: 10_000,
    });
  });
});
