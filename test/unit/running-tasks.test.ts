import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunningTasks } from '../../server/running-tasks';

/** classify-ticket's envelope: a sync caller waits. */
const SYNC = { fastMs: 1_500, maxSyncMs: 8_000 };

/**
 * A visibility stand-in: what it lists is set by the test; each listing is counted. With
 * `blocked`, listings never answer (an overloaded server) unless the test lets one through.
 */
function setup(limit: number, opts: { failing?: boolean; blocked?: boolean } = {}) {
  let now = 10_000;
  const visible = new Set<string>();
  const warnings: string[] = [];
  let listings = 0;
  const pending: Array<() => void> = [];
  const tasks = new RunningTasks({
    limit,
    now: () => now,
    refreshMs: 500,
    visibilityLagMs: 2_000,
    autoRefresh: false,
    logger: { warn: (_obj: unknown, msg?: string) => void warnings.push(String(msg)) } as never,
    list: (max) => {
      listings += 1;
      if (opts.failing) return Promise.reject(new Error('visibility unavailable'));
      const snapshot = [...visible].slice(0, max);
      if (!opts.blocked) return Promise.resolve(snapshot);
      return new Promise((resolve) => pending.push(() => resolve(snapshot)));
    },
  });
  const admitted = (id: string, sync?: typeof SYNC): boolean => tasks.admit(id, sync).admitted;
  return {
    tasks,
    admitted,
    visible,
    warnings,
    listings: () => listings,
    /** Lets the blocked listings answer with what was visible when they were asked. */
    unblock: () => pending.splice(0).forEach((answer) => answer()),
    advance: (ms: number) => (now += ms),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RunningTasks (KEEL_MAX_INFLIGHT_TASKS, the ceiling)', () => {
  it('counts 202d tasks until visibility stops listing them, then gives their slots back', async () => {
    const t = setup(2);
    await t.tasks.refresh(); // nothing running yet
    expect(t.admitted('a')).toBe(true);
    expect(t.admitted('b')).toBe(true);
    t.visible.add('a').add('b');
    t.advance(3_000);
    await t.tasks.refresh(); // a fresh listing still shows both running
    expect(t.tasks.admit('c')).toMatchObject({ admitted: false, reason: 'ceiling', limit: 2 });
    t.visible.clear(); // both finished, unobserved by this process
    t.advance(500);
    expect(t.admitted('c')).toBe(false); // decided on what it knew; the listing runs meanwhile
    await t.tasks.refresh();
    expect(t.admitted('c')).toBe(true);
  });

  it('never waits for a listing: refusals come at once while visibility does not answer', async () => {
    const t = setup(2, { blocked: true });
    expect(t.admitted('a', SYNC)).toBe(true);
    expect(t.admitted('b', SYNC)).toBe(true);
    t.advance(5_000); // the listing is long stale
    const refusal = t.tasks.admit('c', SYNC); // a value, not a promise
    expect(refusal).toEqual({
      admitted: false,
      reason: 'ceiling',
      limit: 2,
      inFlight: 2,
      retryAfterS: 1,
    });
    expect(t.listings()).toBe(1); // asked for, in the background, and still unanswered
    t.tasks.finished('a');
    expect(t.admitted('c', SYNC)).toBe(true);
    t.unblock();
    await t.tasks.refresh();
  });

  it('concurrent requests cannot take more slots than there are', () => {
    const t = setup(2);
    const admitted = ['a', 'b', 'c', 'd', 'e'].map((id) => t.admitted(id));
    expect(admitted.filter(Boolean)).toHaveLength(2);
    expect(t.listings()).toBe(1);
  });

  it('counts what an earlier process or another replica started once the first listing lands', async () => {
    const t = setup(2);
    t.visible.add('started-before-restart').add('started-by-a-replica');
    await t.tasks.refresh();
    expect(t.admitted('a')).toBe(false);
  });

  it('a start not yet in visibility counts once, and a task seen to finish frees its slot at once', async () => {
    const t = setup(2);
    expect(t.admitted('a')).toBe(true);
    t.advance(600);
    t.visible.add('a'); // the same task, now visible: not counted twice
    await t.tasks.refresh();
    expect(t.admitted('b')).toBe(true);
    expect(t.tasks.count()).toBe(2);
    t.tasks.finished('a'); // a sync caller got its result
    expect(t.tasks.count()).toBe(1);
    expect(t.admitted('c')).toBe(true);
  });

  it('a listing asked before a task finished does not bring it back when it lands', async () => {
    const t = setup(2, { blocked: true });
    t.admitted('a');
    t.visible.add('a');
    t.advance(3_000);
    t.admitted('b'); // asks a listing, which will show `a`
    t.tasks.finished('a');
    t.unblock();
    await t.tasks.refresh();
    expect(t.tasks.count()).toBe(1);
  });

  it('while it counts tasks it will not see finish, it lists again on its own: no request waits, none is refused on old news', async () => {
    vi.useFakeTimers();
    const visible = new Set(['a-202d-task']);
    let listings = 0;
    const tasks = new RunningTasks({
      limit: 1,
      refreshMs: 500,
      logger: { warn: () => undefined },
      list: () => {
        listings += 1;
        return Promise.resolve([...visible]);
      },
    });
    await tasks.refresh();
    visible.clear(); // it finished; no request arrives meanwhile
    await vi.advanceTimersByTimeAsync(500);
    expect(listings).toBe(2);
    expect(tasks.admit('next').admitted).toBe(true);
    tasks.finished('next');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(listings).toBe(2); // nothing left to look for: it stops listing
    tasks.stop();
  });

  it('a start that failed takes no slot', () => {
    const t = setup(1);
    expect(t.admitted('a')).toBe(true);
    t.tasks.release('a');
    expect(t.admitted('b')).toBe(true);
  });

  it('without visibility, counts this process’s own starts and says so', async () => {
    const t = setup(1, { failing: true });
    expect(t.admitted('a')).toBe(true);
    await t.tasks.refresh();
    t.advance(10_000);
    expect(t.admitted('b')).toBe(false);
    expect(t.warnings[0]).toContain('load shedding counts this process only');
  });

  it('limit 0 lists nothing and admits everything', () => {
    const t = setup(0);
    for (let i = 0; i < 5; i += 1) expect(t.admitted(String(i), SYNC)).toBe(true);
    expect(t.listings()).toBe(0);
  });
});

describe('RunningTasks (the adaptive limit)', () => {
  /** 20 sync tasks finished over 10 s here: a measured 2 tasks/s. */
  function measured(limit = 128) {
    const t = setup(limit);
    for (let i = 0; i < 20; i += 1) {
      t.admitted(`done-${i}`, SYNC);
      t.tasks.finished(`done-${i}`);
      t.advance(500);
    }
    return t;
  }

  it('refuses a sync request that would queue past 0.8 × maxSyncMs, once callers here wait longer than fastMs', () => {
    const t = measured();
    expect(t.tasks.rate()).toBeCloseTo(2);
    for (let i = 0; i < 30; i += 1) expect(t.admitted(`burst-${i}`, SYNC)).toBe(true);
    t.advance(2_000); // the oldest caller has waited past fastMs: a queue
    const refusal = t.tasks.admit('late', SYNC);
    expect(refusal).toMatchObject({ admitted: false, reason: 'queue', inFlight: 30 });
    expect(refusal).toMatchObject({ limit: expect.any(Number), retryAfterS: expect.any(Number) });
    const { limit, retryAfterS } = refusal as { limit: number; retryAfterS: number };
    expect(limit).toBeLessThan(30);
    expect(retryAfterS).toBeGreaterThan(1);
    // A caller that takes a 202 is held to the ceiling only.
    expect(t.admitted('async')).toBe(true);
  });

  it('admits up to the ceiling when no rate has been measured yet', () => {
    const t = setup(40);
    for (let i = 0; i < 40; i += 1) expect(t.admitted(`cold-${i}`, SYNC)).toBe(true);
    t.advance(5_000);
    expect(t.tasks.admit('one-more', SYNC)).toMatchObject({ admitted: false, reason: 'ceiling' });
  });

  it('tasks gone from the listing count as finished for the rate', async () => {
    const t = setup(128);
    for (let i = 0; i < 12; i += 1) t.visible.add(`elsewhere-${i}`);
    await t.tasks.refresh();
    expect(t.tasks.rate()).toBeUndefined();
    t.visible.clear();
    t.advance(1_000);
    await t.tasks.refresh();
    expect(t.tasks.rate()).toBeGreaterThan(0);
  });
});
