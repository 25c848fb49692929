import { describe, expect, it } from 'vitest';
import { nestLogger } from '../../server/nest-logger';
import { createLogger } from '../../shared/platform/logger';

function capture(): { lines: Array<Record<string, any>>; nest: ReturnType<typeof nestLogger> } {
  const lines: Array<Record<string, any>> = [];
  const logger = createLogger({
    name: 'server',
    level: 'info',
    destination: { write: (s: string) => lines.push(JSON.parse(s) as Record<string, any>) },
  });
  return { lines, nest: nestLogger(logger) };
}

describe("NestJS's own log lines go through Keel's logger", () => {
  it('an error with a stack and a context comes out as masked JSON', () => {
    const { lines, nest } = capture();
    nest.error(
      'route failed for jane@example.com',
      'Error: boom\n    at x (y.ts:1:1)',
      'RoutesResolver',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'route failed for [EMAIL]',
      context: 'RoutesResolver',
      sdkComponent: 'nest',
      stack: 'Error: boom\n    at x (y.ts:1:1)',
    });
  });

  it('an Error object keeps its type and stack, masked', () => {
    const { lines, nest } = capture();
    nest.error(new RangeError('card 4111 1111 1111 1111 refused'));
    expect(lines[0]).toMatchObject({
      msg: 'card [CARD] refused',
      err: { type: 'RangeError', message: 'card [CARD] refused' },
    });
    expect(lines[0]!.err.stack).toMatch(/^RangeError: card \[CARD\] refused/);
  });

  it('warnings are kept; lifecycle chatter goes below info', () => {
    const { lines, nest } = capture();
    nest.warn('slow start', 'NestApplication');
    nest.log('Mapped {/v1/jobs, GET} route', 'RouterExplorer');
    nest.verbose?.('detail');
    expect(lines.map((l) => l.msg)).toEqual(['slow start']);
    expect(lines[0]).toMatchObject({ level: 40, context: 'NestApplication' });
  });
});
