import { describe, expect, it } from 'vitest';
import { RunningTasks } from '../../server/running-tasks';

/** A visibility stand-in: what it lists is set by the test; each listing is counted. */
function setup(limit: number, opts: { failing?: boolean } = {}) {
  let now = 10_000;
  const visible = new Set<string>();
  const warnings: string[] = [];
  let listings = 0;
  const tasks = new RunningTasks({
    limit,
    now: () => now,
    refreshMs: 500,
    visibilityLagMs: 2_000,
    logger: { warn: (_obj: unknown, msg?: string) => void warnings.push(String(msg)) } as never,
    list: (max) => {
      listings += 1;
      if (opts.failing) return Promise.reject(new Error('visibility unavailable'));
      return Promise.resolve([...visible].slice(0, max));
    },
  });
  return {
    tasks,
    visible,
    warnings,
    listings: () => listings,
    advance: (ms: number) => (now += ms),
  };
}

describe('RunningTasks (KEEL_MAX_INFLIGHT_TASKS)', () => {
  it('counts 202d tasks until visibility stops listing them, then gives their slots back', async () => {
    const t = setup(2);
    expect(await t.tasks.admit('a')).toBe(true);
    expect(await t.tasks.admit('b')).toBe(true);
    t.visible.add('a').add('b');
    expect(await t.tasks.admit('c')).toBe(false);
    t.advance(3_000);
    expect(await t.tasks.admit('c')).toBe(false); // a fresh listing still shows both running
    t.visible.clear(); // both finished, unobserved by this process
    t.advance(500);
    expect(await t.tasks.admit('c')).toBe(true);
  });

  it('concurrent requests cannot take more slots than there are', async () => {
    const t = setup(2);
    const admitted = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => t.tasks.admit(id)));
    expect(admitted.filter(Boolean)).toHaveLength(2);
    expect(t.listings()).toBe(1);
  });

  it('counts what an earlier process or another replica started (visibility, not memory)', async () => {
    const t = setup(2);
    t.visible.add('started-before-restart').add('started-by-a-replica');
    expect(await t.tasks.admit('a')).toBe(false);
  });

  it('a start not yet in visibility counts once, and a task seen to finish frees its slot at once', async () => {
    const t = setup(2);
    expect(await t.tasks.admit('a')).toBe(true);
    t.advance(600);
    t.visible.add('a'); // the same task, now visible: not counted twice
    expect(await t.tasks.admit('b')).toBe(true);
    expect(t.tasks.count()).toBe(2);
    t.tasks.finished('a'); // a sync caller got its result
    expect(t.tasks.count()).toBe(1);
    expect(await t.tasks.admit('c')).toBe(true);
  });

  it('a start that failed takes no slot', async () => {
    const t = setup(1);
    expect(await t.tasks.admit('a')).toBe(true);
    t.tasks.release('a');
    expect(await t.tasks.admit('b')).toBe(true);
  });

  it('without visibility, counts this process’s own starts and says so', async () => {
    const t = setup(1, { failing: true });
    expect(await t.tasks.admit('a')).toBe(true);
    t.advance(10_000);
    expect(await t.tasks.admit('b')).toBe(false);
    expect(t.warnings[0]).toContain('load shedding counts this process only');
  });

  it('limit 0 lists nothing and admits everything', async () => {
    const t = setup(0);
    for (let i = 0; i < 5; i += 1) expect(await t.tasks.admit(String(i))).toBe(true);
    expect(t.listings()).toBe(0);
  });
});
