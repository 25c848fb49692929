import { LogTimestamp } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/platform/logger';
import { sdkLogLevel, temporalLogger } from '../../shared/platform/temporal-logger';

function capture(): { raw: string[]; write: (s: string) => void } {
  const raw: string[] = [];
  return { raw, write: (s: string) => raw.push(s) };
}

describe('temporalLogger (the SDK’s logs through Keel’s logger)', () => {
  it('writes an SDK record as Keel JSON with its PII and its error’s PII masked', () => {
    const sink = capture();
    const sdk = temporalLogger(createLogger({ name: 'worker', destination: sink }));
    sdk.warn('Activity failed for jane@example.com', {
      sdkComponent: 'activity',
      activityType: 'callModel',
      error: new Error('upstream echoed card 4111 1111 1111 1111'),
      [LogTimestamp]: 1_700_000_000_000_000_000n,
    });
    expect(sink.raw).toHaveLength(1);
    const text = sink.raw[0]!;
    expect(text).not.toMatch(/jane@example\.com|4111 1111 1111 1111/);
    const line = JSON.parse(text) as Record<string, any>;
    expect(line).toMatchObject({
      level: 40,
      service: 'keel',
      component: 'worker',
      sdkComponent: 'activity',
      activityType: 'callModel',
      msg: 'Activity failed for [EMAIL]',
      error: { type: 'Error', message: 'upstream echoed card [CARD]' },
    });
    expect(line.error.stack).toContain('Error: upstream echoed card [CARD]');
  });

  it('maps every SDK level to the pino level and drops those below the threshold', () => {
    const sink = capture();
    const sdk = temporalLogger(
      createLogger({ name: 'w', level: 'trace', destination: sink }),
      'WARN',
    );
    sdk.debug('d');
    sdk.info('i');
    sdk.log('WARN', 'w');
    sdk.error('e');
    expect(sink.raw.map((s) => JSON.parse(s) as { level: number; msg: string })).toEqual([
      expect.objectContaining({ level: 40, msg: 'w' }),
      expect.objectContaining({ level: 50, msg: 'e' }),
    ]);
    expect(sdkLogLevel('info')).toBe('WARN');
    expect(sdkLogLevel('debug')).toBe('DEBUG');
  });

  it('hides the payloads Temporal Core prints in its debug lines (base64 no detector reads)', () => {
    const sink = capture();
    const sdk = temporalLogger(createLogger({ name: 'worker', level: 'debug', destination: sink }));
    const secret = 'AKIAIOSFODNN7EXAMPLE leaked."]}}';
    const window = (s: string): string => Buffer.from(s).toString('base64');
    const head = window('{"ok":false,"layers":{"schema":{');
    sdk.debug('Applying local resolution', {
      sdkComponent: 'core',
      status: `ActivityExecutionResult(Success([${head}..${window(secret)}]))`,
      resolution: `Completed(Success { result: Some([${window('null')}, ${window('"hi"')}]) })`,
      completion: 'Success(SetPatchMarker(vendor-calls-local-v1) [RecordMarker])',
    });
    sdk.debug(`Activity result [${window(secret)}]`, { sdkComponent: 'workflow' });
    const [core, workflow] = sink.raw.map((s) => JSON.parse(s) as Record<string, string>);
    expect(core).toMatchObject({
      status: 'ActivityExecutionResult(Success([payloads]))',
      resolution: 'Completed(Success { result: Some([payloads]) })',
      completion: 'Success(SetPatchMarker(vendor-calls-local-v1) [RecordMarker])',
    });
    expect(JSON.stringify(core)).not.toContain(window(secret));
    // Only Core's lines: Keel's own and the other SDK parts' are left as written.
    expect(workflow!.msg).toBe(`Activity result [${window(secret)}]`);
  });
});
