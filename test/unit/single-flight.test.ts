import { describe, expect, it } from 'vitest';
import type { RunTaskRequest, TaskOptions } from '../../shared/contracts/job';
import { MemoryMarkers } from '../../server/single-flight/markers';
import { flightKey, sharesCalls, workflowOptions } from '../../server/single-flight/single-flight';

describe('flightKey', () => {
  const base = {
    tenantId: 't1',
    task: 'classify-ticket',
    promptVersion: 'classify-ticket@3',
    input: { subject: 'Refund', body: 'charged twice' },
  };

  it('is the same for the same work, whatever the order of the input’s keys', () => {
    const reordered = { ...base, input: { body: 'charged twice', subject: 'Refund' } };
    expect(flightKey(reordered)).toBe(flightKey(base));
  });

  it('differs on every part that changes the answer', () => {
    const k = flightKey(base);
    expect(flightKey({ ...base, tenantId: 't2' })).not.toBe(k);
    expect(flightKey({ ...base, task: 'summarize' })).not.toBe(k);
    expect(flightKey({ ...base, promptVersion: 'classify-ticket@4' })).not.toBe(k);
    expect(flightKey({ ...base, input: { ...base.input, body: 'charged  twice' } })).not.toBe(k);
    expect(flightKey({ ...base, route: ['openai:ok'] })).not.toBe(k);
    expect(flightKey({ ...base, planRoute: ['openai:ok'] })).not.toBe(k);
    expect(flightKey({ ...base, route: ['openai:ok'] })).not.toBe(
      flightKey({ ...base, planRoute: ['openai:ok'] }),
    );
    expect(flightKey({ ...base, allowDegraded: false })).not.toBe(k);
  });

  it('is a digest: the input does not appear in it', () => {
    expect(flightKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('sharesCalls', () => {
  const request = (options: TaskOptions): RunTaskRequest => ({
    task: 'classify-ticket',
    tenantId: 't',
    requestId: 'r',
    input: {},
    options,
  });

  it('only when the caller opts in, with no Idempotency-Key and no review', () => {
    expect(sharesCalls(request({ singleFlight: true }), undefined)).toBe(true);
    expect(sharesCalls(request({}), undefined)).toBe(false);
    expect(sharesCalls(request({ singleFlight: false }), undefined)).toBe(false);
    expect(sharesCalls(request({ singleFlight: true }), 'key-1')).toBe(false);
    expect(sharesCalls(request({ singleFlight: true, review: 'always' }), undefined)).toBe(false);
  });
});

describe('workflowOptions', () => {
  it('keeps the API-side options out of the workflow (a previous worker refuses them)', () => {
    expect(
      workflowOptions({
        maxSyncMs: 100,
        route: ['openai:ok'],
        singleFlight: true,
        debounce: { key: 'k', ms: 10 },
      }),
    ).toEqual({ maxSyncMs: 100, route: ['openai:ok'] });
  });
});

describe('MemoryMarkers', () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('claim keeps the first value until it expires or is dropped', async () => {
    const c = clock();
    const m = new MemoryMarkers(100, c.now);
    expect(await m.claim('k', 'a', 1_000)).toBe('a');
    expect(await m.claim('k', 'b', 1_000)).toBe('a');
    await m.drop('k', 'b'); // not its value: stays
    expect(await m.get('k')).toBe('a');
    await m.drop('k', 'a');
    expect(await m.claim('k', 'c', 1_000)).toBe('c');
    c.advance(1_000);
    expect(await m.get('k')).toBeUndefined();
    expect(await m.claim('k', 'd', 1_000)).toBe('d');
  });

  it('replace returns and announces the value it replaced', async () => {
    const m = new MemoryMarkers(100, clock().now);
    const heard: string[] = [];
    m.onReplaced((v) => heard.push(v));
    expect(await m.replace('k', 't1', 1_000)).toBeUndefined();
    expect(await m.replace('k', 't2', 1_000)).toBe('t1');
    expect(await m.replace('other', 'u1', 1_000)).toBeUndefined();
    expect(heard).toEqual(['t1']);
    expect(await m.get('k')).toBe('t2');
  });

  it('holds at most maxEntries: expired ones go first, then the oldest', async () => {
    const c = clock();
    const m = new MemoryMarkers(3, c.now);
    await m.claim('short', 's', 10);
    await m.claim('a', 'a', 1_000);
    await m.claim('b', 'b', 1_000);
    c.advance(10);
    await m.claim('c', 'c', 1_000);
    expect(m.size).toBe(3);
    expect(await m.get('a')).toBe('a');
    await m.claim('d', 'd', 1_000);
    expect(m.size).toBe(3);
    expect(await m.get('a')).toBeUndefined();
    expect(await m.get('d')).toBe('d');
    for (let i = 0; i < 1_000; i++) await m.claim(`k${i}`, 'v', 1_000);
    expect(m.size).toBe(3);
  });
});
