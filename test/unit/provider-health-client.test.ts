import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { ProviderHealth } from '../../shared/platform/provider-health';
import type { Logger } from '../../shared/platform/logger';

/** The batching and read reuse of the breaker client, with a recording stand-in for the client. */
function recorder() {
  const signals: unknown[][] = [];
  let describes = 0;
  const client = {
    workflow: {
      signalWithStart: (_wf: string, o: { signalArgs: unknown[] }) => {
        signals.push(o.signalArgs[0] as unknown[]);
        return Promise.resolve();
      },
      getHandle: () => ({
        describe: () => {
          describes += 1;
          return Promise.resolve({ memo: {} });
        },
      }),
    },
  } as unknown as Client;
  const logger = { warn: () => undefined } as unknown as Logger;
  return { client, logger, signals, describes: () => describes };
}

describe('ProviderHealth client', () => {
  it('sends the outcomes of a burst as one signal per provider/model', async () => {
    const r = recorder();
    const health = new ProviderHealth(r.client, 'q', r.logger, undefined, {
      viewCacheMs: 1_000,
      reportEveryMs: 20,
    });
    for (let i = 0; i < 5; i++)
      await health.report('openai', 'm', { at: i, ok: i % 2 === 0, latencyMs: 10 });
    await health.report('anthropic', 'm', { at: 9, ok: true, latencyMs: 10 });
    expect(r.signals).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(r.signals.map((s) => s.length).sort()).toEqual([1, 5]);
  });

  it('flushes what is queued on close', async () => {
    const r = recorder();
    const health = new ProviderHealth(r.client, 'q', r.logger, undefined, {
      viewCacheMs: 1_000,
      reportEveryMs: 60_000,
    });
    await health.report('openai', 'm', { at: 1, ok: false, latencyMs: 10 });
    await health.close();
    expect(r.signals).toEqual([[{ at: 1, ok: false, latencyMs: 10 }]]);
  });

  it('reuses a read for viewCacheMs, then reads again', async () => {
    const r = recorder();
    const health = new ProviderHealth(r.client, 'q', r.logger, undefined, {
      viewCacheMs: 1_000,
      reportEveryMs: 250,
    });
    await health.view('openai', 'm', 10_000);
    await health.view('openai', 'm', 10_999);
    expect(r.describes()).toBe(1);
    await health.view('openai', 'm', 11_000);
    await health.view('openai', 'other', 11_000);
    expect(r.describes()).toBe(3);
  });

  it('asks for a half-open permit with how long the probe may be out', async () => {
    const updates: unknown[] = [];
    const health = { state: 'open', openedAt: 0, asOf: 0, stats: {}, transitions: [] };
    const client = {
      withDeadline: (_at: number, fn: () => Promise<unknown>) => fn(),
      workflow: {
        getHandle: () => ({
          describe: () => Promise.resolve({ memo: { health } }),
          executeUpdate: (_u: unknown, o: { args: unknown[] }) => {
            updates.push(o.args[0]);
            return Promise.resolve({ allow: true, probe: true, state: 'half_open' });
          },
        }),
      },
    } as unknown as Client;
    const logger = { warn: () => undefined } as unknown as Logger;
    const breaker = new ProviderHealth(client, 'q', logger, undefined, {
      viewCacheMs: 1_000,
      reportEveryMs: 250,
    });
    const now = 100_000; // past openMs (15 s) since the circuit opened
    expect(await breaker.permit('openai', 'm', now, 7_500)).toMatchObject({
      allow: true,
      probe: true,
    });
    // The permit's own deadline (3 s), the call (7.5 s), the batching (0.25 s), delivery (2 s).
    expect(updates).toEqual([{ now, probeUntil: now + 3_000 + 7_500 + 250 + 2_000 }]);
  });
});
