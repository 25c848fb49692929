import { describe, expect, it } from 'vitest';
import { MAX_LOGGED_CHARS, createLogger } from '../../shared/platform/logger';

function capture(): { lines: Array<Record<string, unknown>>; write: (s: string) => void } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) };
}

describe('logger', () => {
  it('redacts inputs, outputs, prompts and keys but keeps ids and numbers', () => {
    const sink = capture();
    const logger = createLogger({ name: 't', destination: sink });
    logger.info(
      {
        jobId: 'classify-ticket-1',
        input: { body: 'jane@example.com' },
        request: { input: 'secret text', prompt: 'system prompt', apiKey: 'sk-123' },
        output: { category: 'BILLING' },
        headers: { authorization: 'Bearer abc' },
        inputTokens: 33,
      },
      'x',
    );
    const line = JSON.stringify(sink.lines[0]);
    for (const secret of [
      'jane@example.com',
      'secret text',
      'system prompt',
      'sk-123',
      'BILLING',
      'Bearer abc',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(sink.lines[0]).toMatchObject({
      jobId: 'classify-ticket-1',
      inputTokens: 33,
      component: 't',
    });
  });

  it('masks PII that slips into any other field or the message', () => {
    const sink = capture();
    const logger = createLogger({ name: 't', destination: sink });
    logger.warn(
      { err: { message: 'lookup failed for sam.lee@example.org' }, jobId: 'j-1' },
      'card 4111 1111 1111 1111 declined, key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789',
    );
    const line = JSON.stringify(sink.lines[0]);
    for (const secret of ['sam.lee@example.org', '4111 1111 1111 1111', 'sk-proj-abcdefghij']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[EMAIL]');
    expect(line).toContain('[CARD]');
    expect(sink.lines[0]).toMatchObject({ jobId: 'j-1' });
  });
});

describe('logger: errors', () => {
  it('writes an error’s type, masked message and stack (not `{}`)', () => {
    const sink = capture();
    const logger = createLogger({ name: 't', destination: sink });
    logger.error({ err: new Error('card 4111 1111 1111 1111 for a@b.com') });
    const line = sink.lines[0] as { msg: string; err: Record<string, unknown> };
    const raw = JSON.stringify(line);
    expect(raw).not.toContain('4111 1111 1111 1111');
    expect(raw).not.toContain('a@b.com');
    expect(line.err.type).toBe('Error');
    expect(line.err.message).toBe('card [CARD] for [EMAIL]');
    expect(line.err.stack).toMatch(/^Error: card \[CARD\] for \[EMAIL\]\n\s+at .*logger\.test\.ts/);
    expect(line.msg).toBe('card [CARD] for [EMAIL]');
  });

  it('keeps causes, own fields and errors under any key, all masked', () => {
    class LookupError extends Error {
      constructor(
        message: string,
        readonly customerId: string,
        options?: { cause?: unknown },
      ) {
        super(message, options);
      }
    }
    const sink = capture();
    const logger = createLogger({ name: 't', destination: sink });
    const root = new TypeError('no account for jane@example.com');
    logger.warn(
      {
        failure: { error: new LookupError('lookup failed', 'c-42', { cause: root }) },
        attempts: [new RangeError('call +1 415 555 0100 later')],
      },
      'step failed',
    );
    const line = sink.lines[0] as any;
    expect(JSON.stringify(line)).not.toMatch(/jane@example\.com|415 555 0100/);
    expect(line.failure.error).toMatchObject({
      type: 'LookupError',
      message: 'lookup failed',
      customerId: 'c-42',
      cause: { type: 'TypeError', message: 'no account for [EMAIL]' },
    });
    expect(line.failure.error.stack).toMatch(/^Error: lookup failed\n\s+at /);
    expect(line.failure.error.cause.stack).toContain('TypeError: no account for [EMAIL]');
    expect(line.attempts[0]).toMatchObject({ type: 'RangeError', message: 'call [PHONE] later' });
  });

  it('names an error that crossed a thread (structured clone keeps only its stack’s name)', () => {
    class ApplicationFailure extends Error {
      override readonly name = 'ApplicationFailure';
    }
    const sink = capture();
    const logger = createLogger({ name: 't', destination: sink });
    logger.warn(
      { error: structuredClone(new ApplicationFailure('rule broken')) },
      'Workflow failed',
    );
    expect((sink.lines[0] as any).error).toMatchObject({
      type: 'ApplicationFailure',
      message: 'rule broken',
    });
  });

  it('serialises an error passed as the first argument and one from another realm', async () => {
    const { runInNewContext } = await import('node:vm');
    const sink = capture();
    const logger = createLogger({ name: 't', destination: sink });
    logger.error(new Error('refund to sam.lee@example.org failed'));
    logger.error({ err: runInNewContext('new SyntaxError("bad token for a@b.com")') }, 'parse');
    const [first, second] = sink.lines as any[];
    expect(first.msg).toBe('refund to [EMAIL] failed');
    expect(first.err).toMatchObject({ type: 'Error', message: 'refund to [EMAIL] failed' });
    expect(second.err).toMatchObject({ type: 'SyntaxError', message: 'bad token for [EMAIL]' });
    expect(second.err.stack).toContain('SyntaxError');
  });

  it('survives cycles and logs dates and bytes the way an operator can read them', () => {
    const sink = capture();
    const logger = createLogger({ name: 't', destination: sink });
    const err = new Error('loop') as Error & { self?: unknown };
    err.self = err;
    const at = new Date('2026-01-02T03:04:05.000Z');
    logger.warn({ err, at, body: new TextEncoder().encode('jane@example.com') }, 'for %j', {
      to: 'jane@example.com',
    });
    const line = sink.lines[0] as any;
    expect(JSON.stringify(line)).not.toContain('jane@example.com');
    expect(line.err).toMatchObject({ message: 'loop', self: '[Circular]' });
    expect(line.at).toBe('2026-01-02T03:04:05.000Z');
    expect(line.body).toBe('[16 bytes]');
    expect(line.msg).toBe('for {"to":"[EMAIL]"}');
  });
});

describe('logger: long strings', () => {
  it('cuts a string past MAX_LOGGED_CHARS before masking, never through a value', () => {
    const sink = capture();
    const logger = createLogger({ name: 't', destination: sink });
    // A card number across the cut: its first digits must not be left behind, unmasked.
    const head = 'x'.repeat(MAX_LOGGED_CHARS - 8);
    logger.warn({ body: `${head} 4111 1111 1111 1111 ${'y'.repeat(100_000)}` }, 'long');
    const body = (sink.lines[0] as { body: string }).body;
    expect(body.startsWith(head)).toBe(true);
    expect(body).not.toMatch(/4111/);
    expect(body).toMatch(/… \[\d+ more characters not logged\]$/);
    expect(body.length).toBeLessThan(MAX_LOGGED_CHARS + 50);
    // Below the limit, nothing is cut.
    logger.warn({ body: `${'z'.repeat(1000)} a@b.com` }, 'short');
    expect((sink.lines[1] as { body: string }).body).toBe(`${'z'.repeat(1000)} [EMAIL]`);
  });
});
