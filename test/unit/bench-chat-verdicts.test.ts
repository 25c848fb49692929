import { describe, expect, it } from 'vitest';
import { judgeChat, tallyVerdicts } from '../../bench/lib/chat-verdicts';

const EXPECTED = 'This is a mock completion for: hello there';

describe('judging what a chat caller got', () => {
  it('valid: the whole text and a stop finish', () => {
    expect(judgeChat({ ok: true, text: EXPECTED, finish: 'stop' }, EXPECTED)).toBe('valid');
  });

  it('silent truncation: a normal end with part of the text, whatever the finish said', () => {
    const partial = EXPECTED.slice(0, 20);
    expect(judgeChat({ ok: true, text: partial, finish: 'stop' }, EXPECTED)).toBe(
      'silent-truncation',
    );
    expect(judgeChat({ ok: true, text: partial }, EXPECTED)).toBe('silent-truncation');
    // Text repeated after a replay is as wrong as text cut short.
    expect(judgeChat({ ok: true, text: EXPECTED + EXPECTED, finish: 'stop' }, EXPECTED)).toBe(
      'silent-truncation',
    );
  });

  it('unfinished: the whole text without a stop finish', () => {
    expect(judgeChat({ ok: true, text: EXPECTED }, EXPECTED)).toBe('unfinished');
    expect(judgeChat({ ok: true, text: EXPECTED, finish: 'length' }, EXPECTED)).toBe('unfinished');
  });

  it('a raised error is never valid nor silent, split by whether text had arrived', () => {
    expect(judgeChat({ ok: false, text: '' }, EXPECTED)).toBe('error-before-text');
    expect(judgeChat({ ok: false, text: EXPECTED.slice(0, 5) }, EXPECTED)).toBe('error-after-text');
    // Even with the whole text: the client raised, so the caller treats it as a failure.
    expect(judgeChat({ ok: false, text: EXPECTED, finish: 'stop' }, EXPECTED)).toBe(
      'error-after-text',
    );
  });

  it('hung: only the caller’s deadline ended it, with or without text', () => {
    expect(judgeChat({ ok: false, text: '', timedOut: true }, EXPECTED)).toBe('hung');
    expect(judgeChat({ ok: false, text: 'This is', timedOut: true }, EXPECTED)).toBe('hung');
  });
});

describe('tallying verdicts', () => {
  it('counts every verdict and gives the valid and silent shares', () => {
    const t = tallyVerdicts(['valid', 'valid', 'silent-truncation', 'hung', 'error-after-text']);
    expect(t.requests).toBe(5);
    expect(t.counts).toEqual({
      valid: 2,
      'silent-truncation': 1,
      unfinished: 0,
      'error-before-text': 0,
      'error-after-text': 1,
      hung: 1,
    });
    expect(t.validShare).toBe(0.4);
    expect(t.silentShare).toBe(0.2);
  });

  it('has no shares without requests', () => {
    expect(tallyVerdicts([])).toMatchObject({ requests: 0, validShare: null, silentShare: null });
  });
});
