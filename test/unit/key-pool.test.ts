import { describe, expect, it } from 'vitest';
import { KeyPool, keyOutUntil, parseReset } from '../../activities/models/providers/key-pool';

const NOW = 1_700_000_000_000;

describe('parseReset', () => {
  it.each([
    ['20ms', 20],
    ['2s', 2_000],
    ['1.5s', 1_500],
    ['6m0s', 360_000],
    ['1h2m3s', 3_723_000],
    ['7', 7_000],
  ])('reads the OpenAI duration %s', (value, ms) => {
    expect(parseReset(value, NOW)).toBe(NOW + ms);
  });

  it('reads an RFC 3339 time (Anthropic) and refuses nonsense', () => {
    expect(parseReset(new Date(NOW + 5_000).toISOString(), NOW)).toBe(NOW + 5_000);
    expect(parseReset('soon', NOW)).toBeUndefined();
    expect(parseReset(undefined, NOW)).toBeUndefined();
  });
});

describe('keyOutUntil', () => {
  it('is undefined while every counter has room', () => {
    const h = new Headers({
      'x-ratelimit-remaining-requests': '9999',
      'x-ratelimit-reset-requests': '6ms',
      'x-ratelimit-remaining-tokens': '1999000',
    });
    expect(keyOutUntil(h, NOW, false)).toBeUndefined();
    expect(keyOutUntil(undefined, NOW, false)).toBeUndefined();
  });

  it('OpenAI: remaining requests or tokens at 0 → out until the later reset', () => {
    const h = new Headers({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '2s',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '1m0s',
    });
    expect(keyOutUntil(h, NOW, false)).toBe(NOW + 60_000);
  });

  it('Anthropic: anthropic-ratelimit-*-remaining at 0 → out until its reset time', () => {
    const h = new Headers({
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': new Date(NOW + 9_000).toISOString(),
    });
    expect(keyOutUntil(h, NOW, false)).toBe(NOW + 9_000);
  });

  it('a 429 is out until its Retry-After, or a second without one', () => {
    expect(keyOutUntil(new Headers({ 'retry-after': '3' }), NOW, true)).toBe(NOW + 3_000);
    expect(keyOutUntil(new Headers(), NOW, true)).toBe(NOW + 1_000);
  });
});

/** A fake vendor: per key, the headers its answer carries or a 429. */
function vendor(answers: Record<string, 'ok' | 'last' | '429'>) {
  const calls: string[] = [];
  const run = (key: string) => {
    calls.push(key);
    const answer = answers[key] ?? 'ok';
    if (answer === '429')
      return Promise.reject(
        Object.assign(new Error('rate limited'), {
          status: 429,
          headers: new Headers({ 'retry-after': '30' }),
        }),
      );
    const headers = new Headers({
      'x-ratelimit-remaining-requests': answer === 'last' ? '0' : '10',
      'x-ratelimit-reset-requests': '1m0s',
    });
    return Promise.resolve({ data: key, response: { headers } });
  };
  return { calls, run };
}

describe('KeyPool', () => {
  it('spreads calls over the keys in turn', async () => {
    const pool = new KeyPool(['a', 'b', 'c'], () => NOW);
    const v = vendor({});
    for (let i = 0; i < 6; i++) await pool.call(v.run);
    expect(v.calls).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('skips a key whose last answer said it has nothing left, until the reset', async () => {
    let now = NOW;
    const pool = new KeyPool(['a', 'b'], () => now);
    const v = vendor({ a: 'last' });
    for (let i = 0; i < 5; i++) await pool.call(v.run);
    expect(v.calls).toEqual(['a', 'b', 'b', 'b', 'b']);
    expect(pool.usable()).toBe(1);
    now += 60_000;
    await pool.call(v.run);
    await pool.call(v.run);
    expect(v.calls.slice(5).sort()).toEqual(['a', 'b']);
  });

  it('moves a request that got a 429 to the next key, and leaves the limited key alone', async () => {
    const pool = new KeyPool(['a', 'b'], () => NOW);
    const v = vendor({ a: '429' });
    const results = [await pool.call(v.run), await pool.call(v.run), await pool.call(v.run)];
    expect(results.map((r) => r.data)).toEqual(['b', 'b', 'b']);
    expect(v.calls).toEqual(['a', 'b', 'b', 'b']);
  });

  it('throws the 429 when no other key is usable; a lone key is always called', async () => {
    const pool = new KeyPool(['a', 'b'], () => NOW);
    const v = vendor({ a: '429', b: '429' });
    await expect(pool.call(v.run)).rejects.toMatchObject({ status: 429 });
    expect(v.calls).toEqual(['a', 'b']);
    await expect(pool.call(v.run)).rejects.toMatchObject({ status: 429 });
    expect(v.calls).toHaveLength(3);
    const lone = new KeyPool(['x'], () => NOW);
    const w = vendor({ x: '429' });
    await expect(lone.call(w.run)).rejects.toMatchObject({ status: 429 });
    await expect(lone.call(w.run)).rejects.toMatchObject({ status: 429 });
    expect(w.calls).toEqual(['x', 'x']);
  });

  it('does not move on for other failures', async () => {
    const pool = new KeyPool(['a', 'b'], () => NOW);
    const calls: string[] = [];
    const failing = (key: string) => {
      calls.push(key);
      return Promise.reject(Object.assign(new Error('server'), { status: 500 }));
    };
    await expect(pool.call(failing)).rejects.toMatchObject({ status: 500 });
    expect(calls).toEqual(['a']);
  });
});
