import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor, type RunningProcess } from '../support/processes';
import { startStack, type Stack } from '../support/stack';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

/**
 * What an operator reads when something breaks: the worker and the API, as `npm run worker` and
 * `npm run server` start them, reach Temporal through a relay the test can cut.
 */
let proxy: TcpProxy;
let stack: Stack;

beforeAll(async () => {
  proxy = await startTcpProxy(inject('temporalAddress'));
  stack = await startStack({ TEMPORAL_ADDRESS: proxy.address });
});
afterAll(async () => {
  await stack?.stop();
  await proxy?.cut();
});

type Line = Record<string, any>;
const lines = (p: RunningProcess): string[] =>
  p
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '');
function jsonLines(p: RunningProcess): Line[] {
  return lines(p).flatMap((l) => {
    try {
      return [JSON.parse(l) as Line];
    } catch {
      return [];
    }
  });
}

describe('when Temporal goes away', () => {
  beforeAll(() => proxy.cut());

  it('the API answers 500 and logs the unhandled error with its type, message and stack', async () => {
    const requestId = `error-logging-${randomUUID()}`;
    const res = await stack.call(`/v1/jobs/classify-ticket-${randomUUID()}`, {
      headers: { 'x-request-id': requestId },
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { type: string }).type).toBe(
      'https://keel.dev/problems/internal',
    );

    let logged: Line | undefined;
    await waitFor(
      'the unhandled error in the API log',
      () => !!(logged = jsonLines(stack.server).find((l) => l.requestId === requestId)),
      { timeoutMs: 10_000 },
    );
    expect(logged).toMatchObject({ level: 50, component: 'server', msg: 'unhandled error' });
    const { err } = logged!;
    expect(err).toMatchObject({ type: 'ServiceError', message: 'Failed to describe workflow' });
    expect(err.stack).toMatch(/^ServiceError: Failed to describe workflow\n\s+at /);
    // What actually happened is in the cause: gRPC's status, with its own stack.
    expect(err.cause.message).toMatch(/UNAVAILABLE/);
    expect(err.cause.stack).toMatch(/\n\s+at /);
  });

  it('the worker reports it through Keel’s logger: the SDK’s core lines are Keel JSON too', async () => {
    // Core (the SDK's Rust part) warns about its failing polls; it used to print its own format.
    await waitFor(
      'a Temporal Core line in the worker log',
      () => jsonLines(stack.worker).some((l) => l.sdkComponent === 'core'),
      { timeoutMs: 30_000 },
    );
    const sdkLine = jsonLines(stack.worker).find((l) => l.sdkComponent === 'core')!;
    expect(sdkLine).toMatchObject({ service: 'keel', component: 'worker' });
    expect(sdkLine.level).toBeGreaterThanOrEqual(40);
    // Nothing the worker printed bypassed the logger (the SDK's own format is not JSON).
    expect(lines(stack.worker).filter((l) => !l.startsWith('{'))).toEqual([]);
  });
});
