import type { ArgumentsHost } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { ProblemError, ProblemFilter } from '../../server/problem';
import { createLogger } from '../../shared/platform/logger';

/** The filter as Nest calls it, with a request and a response that record what they were given. */
function handle(exception: unknown): { lines: Array<Record<string, any>>; status?: number } {
  const lines: Array<Record<string, any>> = [];
  const logger = createLogger({
    name: 'server',
    destination: { write: (s: string) => lines.push(JSON.parse(s) as Record<string, any>) },
  });
  const result: { lines: typeof lines; status?: number } = { lines };
  const req = { headers: { 'x-request-id': 'req-1' }, path: '/v1/x', originalUrl: '/v1/x' };
  const res = {
    setHeader: () => res,
    status: (s: number) => ((result.status = s), res),
    type: () => res,
    send: () => res,
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ArgumentsHost;
  new ProblemFilter(logger).catch(exception, host);
  return result;
}

describe('ProblemFilter logging', () => {
  it('logs an unhandled error with its type, masked message and stack, and answers 500', () => {
    const { lines, status } = handle(new TypeError('no plan for jane@example.com'));
    expect(status).toBe(500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'unhandled error',
      requestId: 'req-1',
      err: { type: 'TypeError', message: 'no plan for [EMAIL]' },
    });
    expect(lines[0]!.err.stack).toMatch(/^TypeError: no plan for \[EMAIL\]\n\s+at /);
  });

  it('logs the cause of a 5xx problem with its stack, masked', () => {
    const cause = new Error('14 UNAVAILABLE: dns lookup for ops@example.com failed');
    const problem = new ProblemError(
      503,
      'temporal-unavailable',
      'Service unavailable',
      'retry',
      {},
      {},
      {
        cause,
      },
    );
    const { lines, status } = handle(problem);
    expect(status).toBe(503);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: 'request failed',
      problem: 'temporal-unavailable',
      err: { type: 'Error', message: '14 UNAVAILABLE: dns lookup for [EMAIL] failed' },
    });
    expect(lines[0]!.err.stack).toMatch(/\n\s+at .*problem-filter\.test\.ts/);
  });
});
