import { describe, expect, it } from 'vitest';
import {
  STREAM_HOLD_CHARS,
  StreamWindow,
  type StreamViolation,
  type StreamWindowOptions,
} from '../../activities/guards/stream-window';
import { validateAnswer } from '../../activities/guards/validation';
import { detectToxicity } from '../../shared/guards/toxicity';
import { BUILT_IN_POLICY, type ResolvedPolicy } from '../../shared/policy/resolve-policy';
import { classifyTicket } from '../../shared/tasks/classify-ticket';

/**
 * The stream window against the whole-answer check: what a streamed answer's caller receives,
 * delta by delta, never holds what validateAnswer would refuse, and equals what it would serve.
 */
const input = {
  subject: 'Refund',
  body: 'I was charged twice. Reach me at jane.doe@example.com or 415-555-0132.',
};

function policyWith(output: Partial<ResolvedPolicy['moderation']['output']>): ResolvedPolicy {
  return {
    ...BUILT_IN_POLICY,
    moderation: {
      ...BUILT_IN_POLICY.moderation,
      output: { ...BUILT_IN_POLICY.moderation.output, ...output },
    },
  };
}

/** Cuts `text` into deltas of `size` characters (the last one shorter). */
function deltas(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

interface Streamed {
  /** Every release, in order (empty ones included). */
  releases: string[];
  /** What the caller received: the releases joined. */
  text: string;
  violation?: StreamViolation;
  /** What had been released when the last delta was pushed, before end(). */
  beforeEnd: string;
}

function stream(parts: readonly string[], options: Partial<StreamWindowOptions> = {}): Streamed {
  const window = new StreamWindow({ input, policy: BUILT_IN_POLICY, ...options });
  const releases: string[] = [];
  for (const part of parts) {
    const step = window.push(part);
    if ('violation' in step)
      return { releases, text: releases.join(''), violation: step.violation, beforeEnd: '' };
    releases.push(step.release);
  }
  const beforeEnd = releases.join('');
  const last = window.end();
  if ('violation' in last)
    return { releases, text: releases.join(''), violation: last.violation, beforeEnd };
  releases.push(last.release);
  return { releases, text: releases.join(''), beforeEnd };
}

/** What the whole-answer check makes of the same text, as one string of a task's answer. */
function wholeAnswer(text: string, policy: ResolvedPolicy = BUILT_IN_POLICY) {
  const v = validateAnswer(classifyTicket, {
    output: { category: 'BILLING', confidence: 0.9, rationale: text },
    input,
    policy,
  });
  return {
    refused: v.failed?.layer === 'moderation',
    text: (v.output as { rationale?: string } | undefined)?.rationale,
  };
}

const clean =
  'The customer was charged twice for the same month. Refund the second charge, confirm by ' +
  'e-mail, and note the case so that billing can check why the renewal ran twice. ' +
  'Nothing else is needed.';

describe('StreamWindow: clean text', () => {
  it('releases it in order, holds the last holdChars until end(), and end() flushes the rest', () => {
    for (const size of [1, 3, 7, 40, clean.length]) {
      const s = stream(deltas(clean, size));
      expect(s.violation).toBeUndefined();
      expect(s.text).toBe(clean);
      // Held back: the last STREAM_HOLD_CHARS characters never leave before end(); the window
      // is read every STREAM_HOLD_CHARS / 4 characters, so at most that many more wait.
      expect(clean.startsWith(s.beforeEnd)).toBe(true);
      expect(s.beforeEnd.length).toBeLessThanOrEqual(clean.length - STREAM_HOLD_CHARS);
      if (size < clean.length)
        expect(s.beforeEnd.length).toBeGreaterThanOrEqual(
          clean.length - STREAM_HOLD_CHARS - STREAM_HOLD_CHARS / 4 - size,
        );
      expect(s.releases.at(-1)).toBe(clean.slice(s.beforeEnd.length));
    }
  });

  it('a short answer leaves only at end(); holdChars 0 releases each delta as it comes', () => {
    const short = stream(['Refund ', 'approved.']);
    expect(short.releases).toEqual(['', '', 'Refund approved.']);
    const eager = stream(['Refund ', 'approved.'], { holdChars: 0 });
    expect(eager.releases).toEqual(['Refund ', 'approved.', '']);
  });

  it('never ends a release on half of an emoji', () => {
    const text = `${'Done 👍 and 🎉. '.repeat(12)}Thanks.`;
    const s = stream(deltas(text, 1), { holdChars: 5 });
    expect(s.text).toBe(text);
    for (const r of s.releases) expect(r).not.toMatch(/[\uD800-\uDBFF]$/);
  });
});

describe('StreamWindow: profanity', () => {
  const toxic = `${clean} Honestly, whoever set up this renewal is a fucking idiot. ${clean}`;
  const start = toxic.indexOf('fucking');

  it('a toxic phrase split across deltas is never released: the stream stops before it', () => {
    for (const size of [1, 2, 5, 13]) {
      const s = stream(deltas(toxic, size));
      expect(s.violation).toEqual({
        check: 'toxicity',
        detail: expect.stringMatching(/profanity/),
      });
      expect(toxic.startsWith(s.text)).toBe(true);
      expect(s.text.length).toBeLessThanOrEqual(start);
      expect(detectToxicity(s.text).matches).toEqual([]);
    }
    expect(wholeAnswer(toxic).refused).toBe(true);
  });

  it('a word that only looks profane until its next letters arrive is not a violation', () => {
    const text = `${clean} The pilot checked the cockpit twice. ${clean}`;
    const s = stream(deltas(text, 1));
    expect(s.violation).toBeUndefined();
    expect(s.text).toBe(text);
    expect(wholeAnswer(text)).toEqual({ refused: false, text });
  });

  it('mild words far apart add up as in the whole-answer check', () => {
    const text = `Damn, the renewal ran twice. ${clean} ${clean} What a crap billing run.`;
    expect(wholeAnswer(text).refused).toBe(true);
    const s = stream(deltas(text, 4));
    expect(s.violation?.check).toBe('toxicity');
    expect(s.text.length).toBeLessThanOrEqual(text.indexOf('crap'));
    // One mild word alone passes both.
    const mild = `Damn, the renewal ran twice. ${clean}`;
    expect(wholeAnswer(mild).refused).toBe(false);
    expect(stream(deltas(mild, 4)).text).toBe(mild);
  });

  it('follows the policy: flag releases the text as is; words the input had do not count', () => {
    const flagged = stream(deltas(toxic, 3), { policy: policyWith({ toxicity: 'flag' }) });
    expect([flagged.violation, flagged.text]).toEqual([undefined, toxic]);
    const swearing = { ...input, body: `${input.body} Whoever did this is a fucking idiot!` };
    const echoed = stream(deltas(toxic, 3), { input: swearing });
    expect([echoed.violation, echoed.text]).toEqual([undefined, toxic]);
  });

  it('after a violation the window stays stopped', () => {
    const window = new StreamWindow({ input, policy: BUILT_IN_POLICY, holdChars: 0 });
    const first = window.push('You fucking idiot. ');
    expect(first).toEqual({ violation: expect.objectContaining({ check: 'toxicity' }) });
    expect(window.push('More text.')).toEqual(first);
    expect(window.end()).toEqual(first);
  });
});

describe('StreamWindow: placeholders', () => {
  const placeholders = { '[EMAIL_1]': 'jane.doe@example.com', '[PHONE_12]': '415-555-0132' };
  const model = 'We will write to [EMAIL_1] or call [PHONE_12] once the refund is through.';
  const restored =
    'We will write to jane.doe@example.com or call 415-555-0132 once the refund is through.';

  it('a placeholder split across deltas is restored whole, never sent in part', () => {
    for (const size of [1, 2, 3, 5]) {
      const s = stream(deltas(model, size), { placeholders, holdChars: 0 });
      expect(s.violation).toBeUndefined();
      expect(s.text).toBe(restored);
      for (const r of s.releases) expect(r).not.toMatch(/\[|\]|_1/);
    }
    // One delta ends inside the placeholder: nothing of it leaves until its end arrives.
    const window = new StreamWindow({ input, policy: BUILT_IN_POLICY, holdChars: 0, placeholders });
    expect(window.push('Write to [EMA')).toEqual({ release: 'Write to ' });
    expect(window.push('IL_')).toEqual({ release: '' });
    expect(window.push('1].')).toEqual({ release: 'jane.doe@example.com.' });
    expect(window.end()).toEqual({ release: '' });
  });

  it('a bracket that is no known placeholder is released as text', () => {
    const s = stream(['See [note', ' 2] and [EMAIL_9] and [EMAIL_'], {
      placeholders,
      holdChars: 0,
    });
    expect(s.text).toBe('See [note 2] and [EMAIL_9] and [EMAIL_');
  });
});

describe('StreamWindow: PII the input did not have', () => {
  const invented = `${clean} For a quote, write to sales.team@acme-billing.com or call 212-555-0187. ${clean}`;

  it('redact: masks it in the window before release, exactly as the whole-answer check does', () => {
    for (const size of [1, 4, 9]) {
      const s = stream(deltas(invented, size));
      expect(s.violation).toBeUndefined();
      expect(s.text).not.toContain('acme-billing');
      expect(s.text).not.toContain('555-0187');
      expect(s.text).toContain('write to [EMAIL] or call [PHONE].');
      expect(s.text).toBe(wholeAnswer(invented).text);
    }
  });

  it('block: a violation before any of it is sent', () => {
    const policy = policyWith({ pii: 'block' });
    expect(wholeAnswer(invented, policy).refused).toBe(true);
    for (const size of [1, 4, 9]) {
      const s = stream(deltas(invented, size), { policy });
      expect(s.violation).toEqual({
        check: 'pii',
        detail: 'contains email not present in the input',
      });
      expect(s.text.length).toBeLessThanOrEqual(invented.indexOf('sales.team'));
    }
  });

  it('flag and allow: released as is; PII the input had is never masked', () => {
    for (const pii of ['flag', 'allow'] as const) {
      const s = stream(deltas(invented, 4), { policy: policyWith({ pii }) });
      expect([s.violation, s.text]).toEqual([undefined, invented]);
    }
    const echo = `${clean} We will confirm at jane.doe@example.com. ${clean}`;
    expect(stream(deltas(echo, 4)).text).toBe(echo);
  });
});

describe('StreamWindow: the same decision as the whole-answer check', () => {
  const texts = [
    clean,
    `${clean} You absolute moron, ${clean}`,
    `${clean} It is damn stupid crap. ${clean}`,
    `${clean} Mail ops@vendor-support.io if needed.`,
    `Damn. ${clean} Card 4111 1111 1111 1111 was charged twice.`,
    `${clean} A scrap of the cockpit manual, tit for tat.`,
    // Profanity inside an invented address: masked under redact, so no longer profanity.
    `${clean} Write to shit.happens@mail.com for the refund. ${clean}`,
  ];
  const policies = [
    BUILT_IN_POLICY,
    policyWith({ pii: 'block' }),
    policyWith({ pii: 'flag', toxicity: 'flag' }),
    policyWith({ pii: 'allow', toxicity: 'allow' }),
  ];

  it('stops where it refuses, and otherwise sends the text it serves', () => {
    for (const policy of policies)
      for (const text of texts)
        for (const size of [1, 6]) {
          const whole = wholeAnswer(text, policy);
          const s = stream(deltas(text, size), { policy });
          expect({ text, refused: s.violation !== undefined }).toEqual({
            text,
            refused: whole.refused,
          });
          if (!whole.refused) expect(s.text).toBe(whole.text);
        }
  });
});
