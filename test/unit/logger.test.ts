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
});
