import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/runtime/logger';

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
