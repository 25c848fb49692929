import { describe, expect, it, vi } from 'vitest';
import { SyncFirst } from '../../server/sync-first';

const tick = () => new Promise((r) => setImmediate(r));

describe('SyncFirst (KEEL_ASYNC_YIELD_MS)', () => {
  it('lets an async submission through at once when no sync request is in progress', async () => {
    const gate = new SyncFirst(250);
    let through = false;
    void gate.yieldToSync().then(() => (through = true));
    await tick();
    expect(through).toBe(true);
  });

  it('holds async submissions while sync requests run and lets them all go when the last ends', async () => {
    const gate = new SyncFirst(60_000);
    const first = gate.enter();
    const second = gate.enter();
    const through: number[] = [];
    void gate.yieldToSync().then(() => through.push(1));
    void gate.yieldToSync().then(() => through.push(2));
    await tick();
    expect(through).toEqual([]);
    expect(gate.state()).toEqual({ syncInProgress: 2, asyncWaiting: 2 });
    first();
    first(); // idempotent: still one in progress
    await tick();
    expect(through).toEqual([]);
    second();
    await tick();
    expect(through).toEqual([1, 2]);
    expect(gate.state()).toEqual({ syncInProgress: 0, asyncWaiting: 0 });
  });

  it('holds an async submission at most maxHoldMs under a steady sync load', async () => {
    vi.useFakeTimers();
    try {
      const gate = new SyncFirst(250);
      const done = gate.enter();
      let through = false;
      void gate.yieldToSync().then(() => (through = true));
      await vi.advanceTimersByTimeAsync(249);
      expect(through).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(through).toBe(true);
      expect(gate.state()).toEqual({ syncInProgress: 1, asyncWaiting: 0 });
      done();
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds nothing when off (0)', async () => {
    const gate = new SyncFirst(0);
    gate.enter();
    let through = false;
    void gate.yieldToSync().then(() => (through = true));
    await tick();
    expect(through).toBe(true);
    expect(gate.state()).toEqual({ syncInProgress: 0, asyncWaiting: 0 });
  });
});
