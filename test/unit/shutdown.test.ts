import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/platform/logger';
import { gracefulShutdown, type GracefulShutdown } from '../../shared/platform/shutdown';

/** The shared shutdown's steps, with its exit and a signal of the test's own (SIGUSR2). */
const logger = createLogger({ name: 'shutdown-test', level: 'silent' });
let shutdown: GracefulShutdown | undefined;
afterEach(() => {
  shutdown?.dispose();
  vi.useRealTimers();
});

function start(drain: (graceOver: AbortSignal) => Promise<void>, graceMs = 1_000) {
  const exits: number[] = [];
  shutdown = gracefulShutdown({
    logger,
    graceMs,
    inFlight: () => ({ activities: 1 }),
    drain,
    signals: ['SIGUSR2'],
    exit: (code) => void exits.push(code),
  });
  return exits;
}

describe('gracefulShutdown', () => {
  it('first signal: drains, then exits 0', async () => {
    let drained!: () => void;
    const exits = start(() => new Promise<void>((resolve) => (drained = resolve)));
    process.emit('SIGUSR2', 'SIGUSR2');
    await Promise.resolve();
    expect(exits).toEqual([]);
    drained();
    await vi.waitFor(() => expect(exits).toEqual([0]));
  });

  it('a second signal during the drain exits at once with 128 + its number', () => {
    const exits = start(() => new Promise<void>(() => {}));
    process.emit('SIGUSR2', 'SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(exits).toEqual([128 + 12]);
  });

  it('at the grace: tells the drain (graceOver), and exits 0 a little after if it has not ended', () => {
    vi.useFakeTimers();
    let graceOver: AbortSignal | undefined;
    const exits = start((signal) => {
      graceOver = signal;
      return new Promise<void>(() => {});
    });
    shutdown!.begin('test');
    vi.advanceTimersByTime(999);
    expect(graceOver?.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(graceOver?.aborted).toBe(true);
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(2_000);
    expect(exits).toEqual([0]);
  });

  it('a drain that fails exits 1', async () => {
    const exits = start(() => Promise.reject(new Error('connection lost')));
    shutdown!.begin('test');
    await vi.waitFor(() => expect(exits).toEqual([1]));
  });
});
