import { afterEach, describe, expect, it } from 'vitest';
import { ReviewWatch } from '../../server/review-watch';

const logger = {
  warnings: [] as string[],
  warn(...args: unknown[]) {
    this.warnings.push(String(args[1] ?? args[0]));
  },
};

function setup(listing: () => Promise<string[]>) {
  const calls: Date[] = [];
  let now = 1_764_000_000_000;
  const watch = new ReviewWatch({
    list: (since) => {
      calls.push(since);
      return listing();
    },
    logger,
    // Long enough that only the test's own poll() calls run.
    pollMs: 3_600_000,
    now: () => now,
  });
  return { watch, calls, tick: (ms: number) => void (now += ms) };
}

let stop: (() => void) | undefined;
afterEach(() => stop?.());

describe('ReviewWatch', () => {
  it('tells the waiting request whose job is listed as awaiting review, once', async () => {
    const { watch } = setup(() => Promise.resolve(['job-a', 'job-elsewhere']));
    const seen: string[] = [];
    const stopA = watch.watch('job-a', () => seen.push('a'));
    const stopB = watch.watch('job-b', () => seen.push('b'));
    stop = () => (stopA(), stopB());
    await watch.poll();
    await watch.poll();
    expect(seen).toEqual(['a']);
  });

  it('lists nothing while nobody waits, and asks only for tasks started since the oldest wait', async () => {
    const { watch, calls, tick } = setup(() => Promise.resolve([]));
    await watch.poll();
    expect(calls).toHaveLength(0);
    const first = watch.watch('job-a', () => undefined);
    tick(5_000);
    const second = watch.watch('job-b', () => undefined);
    stop = () => (first(), second());
    await watch.poll();
    // The oldest wait, less a minute for the clock difference to the Temporal server.
    expect(calls[0]?.getTime()).toBe(1_764_000_000_000 - 60_000);
    first();
    second();
    await watch.poll();
    expect(calls).toHaveLength(1);
  });

  it('a failed listing is logged once and ends no wait', async () => {
    const { watch } = setup(() => Promise.reject(new Error('visibility down')));
    let ended = false;
    stop = watch.watch('job-a', () => (ended = true));
    logger.warnings.length = 0;
    await watch.poll();
    await watch.poll();
    expect(ended).toBe(false);
    expect(logger.warnings).toHaveLength(1);
  });
});
