/**
 * One total deadline per model-call attempt: callModel with the real `openai` and
 * `@anthropic-ai/sdk` adapters against bodies that start at once and then crawl (`trickle`) or
 * stop half-way (`stall-midway`). The attempt fails as a Timeout, the upstream's log shows the
 * client hung up, and the shared breaker hears of a timeout. Asserted on outcomes, not timings.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCallModelActivity, type CallModelArgs } from '../../activities/models/call-model';
import { createAnthropicProvider } from '../../activities/models/providers/anthropic-provider';
import type { ModelProvider } from '../../activities/models/providers/model-provider';
import { createOpenAIProvider } from '../../activities/models/providers/openai-provider';
import type { CallOutcome } from '../../shared/policy/breaker';
import { parseFileConfig } from '../../shared/platform/config-file';
import type { Logger } from '../../shared/platform/logger';
import { ProviderHealth } from '../../shared/platform/provider-health';
import { startMockUpstream, type Attempt, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { rejection, TICKET } from './helpers';

const PROVIDERS = ['openai', 'anthropic'] as const;
const SCENARIOS = ['trickle', 'stall-midway'] as const;
/** Far longer than any deadline below: a call that ends did so at its deadline. */
const STALL_MS = 60_000;

let mock: MockUpstream;
let providers: ModelProvider[];
const registry = parseFileConfig(
  {
    providers: PROVIDERS.map((name) => ({ name, type: name })),
    models: PROVIDERS.flatMap((provider) =>
      [...SCENARIOS, 'ok'].map((name) => ({ provider, name, price: { input: 1, output: 1 } })),
    ),
  },
  'test',
);

beforeAll(async () => {
  mock = await startMockUpstream({ trickleMs: STALL_MS });
  providers = [
    createOpenAIProvider({ name: 'openai', apiKey: 'test', baseURL: `${mock.url}/v1` }),
    createAnthropicProvider({ name: 'anthropic', apiKey: 'test', baseURL: mock.url }),
  ];
});
afterAll(() => mock?.close());
beforeEach(() => mock.clearAttempts());

/** The breaker client with a recording stand-in for Temporal: the outcomes callModel reports. */
function recordingHealth(): { health: ProviderHealth; outcomes: CallOutcome[] } {
  const outcomes: CallOutcome[] = [];
  const client = {
    workflow: {
      signalWithStart: (_wf: string, o: { signalArgs: unknown[] }) => {
        outcomes.push(...(o.signalArgs[0] as CallOutcome[]));
        return Promise.resolve();
      },
      getHandle: () => ({ describe: () => Promise.resolve({ memo: {} }) }),
    },
  } as unknown as Client;
  const logger = { warn: () => undefined } as unknown as Logger;
  const health = new ProviderHealth(client, 'q', logger, undefined, {
    viewCacheMs: 1_000,
    reportEveryMs: 60_000,
  });
  return { health, outcomes };
}

function activity(health?: ProviderHealth): ReturnType<typeof createCallModelActivity> {
  return createCallModelActivity({
    providers: new Map(providers.map((p) => [p.slug, p])),
    registry,
    now: Date.now,
    ...(health ? { health } : {}),
  });
}

/** Runs callModel as Temporal would, with a start-to-close far beyond the deadlines under test. */
function call(
  args: Partial<CallModelArgs> & Pick<CallModelArgs, 'provider' | 'model'>,
  options: { isLocal?: boolean; health?: ProviderHealth } = {},
): Promise<unknown> {
  const env = new MockActivityEnvironment({
    startToCloseTimeoutMs: STALL_MS,
    ...(options.isLocal ? { isLocal: true } : {}),
  });
  return env.run(activity(options.health).callModel, {
    task: 'classify-ticket',
    input: TICKET,
    ...args,
  });
}

/** The upstream's record of the one exchange, once it has seen the connection close. */
async function closedExchange(): Promise<Attempt> {
  await waitFor('the upstream to see the exchange end', () => !!mock.attempts()[0]?.closedBy, {
    timeoutMs: 5_000,
  });
  return mock.attempts()[0]!;
}

describe.each(PROVIDERS)('%s: an attempt ends at its deadline, body included', (provider) => {
  it.each(SCENARIOS)(
    '%s past timeoutMs: a retryable Timeout; the client hung up',
    async (model) => {
      const failure = await rejection(call({ provider, model, timeoutMs: 500 }));
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'Timeout', nonRetryable: false });
      expect(failure.message).toMatch(/attempt timeout .* body included/);
      // Headers and the first bytes did arrive: the deadline cut a body in progress.
      expect(await closedExchange()).toMatchObject({ model, status: 200, closedBy: 'client' });
    },
  );

  it.each(SCENARIOS)(
    "%s past the task's deadlineAt: a final Timeout, so the route moves on",
    async (model) => {
      const failure = await rejection(
        call({ provider, model, timeoutMs: STALL_MS, deadlineAt: Date.now() + 500 }),
      );
      expect(failure).toMatchObject({ type: 'Timeout', nonRetryable: true });
      expect(failure.message).toMatch(/the task's deadline/);
      expect(await closedExchange()).toMatchObject({ model, status: 200, closedBy: 'client' });
    },
  );

  it('as a local activity (no heartbeats) the deadline still ends the call', async () => {
    const failure = await rejection(
      call({ provider, model: 'stall-midway', timeoutMs: 500 }, { isLocal: true }),
    );
    expect(failure).toMatchObject({ type: 'Timeout' });
    expect(await closedExchange()).toMatchObject({ closedBy: 'client' });
  });

  it('the shared breaker hears of a timeout', async () => {
    const { health, outcomes } = recordingHealth();
    await rejection(call({ provider, model: 'trickle', timeoutMs: 500 }, { health }));
    await health.close();
    expect(outcomes).toEqual([expect.objectContaining({ ok: false, failure: 'Timeout' })]);
  });

  it("a budget already spent is ignored: the call runs on the candidate's own timeout", async () => {
    const result = await call({
      provider,
      model: 'ok',
      timeoutMs: 5_000,
      deadlineAt: Date.now() - 1,
    });
    expect(result).toMatchObject({ provider, model: 'ok' });
    expect(mock.attempts()).toEqual([expect.objectContaining({ status: 200 })]);
  });

  it('a quick answer within the deadline is unaffected', async () => {
    const result = await call({
      provider,
      model: 'ok',
      timeoutMs: 5_000,
      deadlineAt: Date.now() + 5_000,
    });
    expect(result).toMatchObject({ provider, model: 'ok' });
    expect(mock.attempts()[0]).toMatchObject({ status: 200 });
    expect(mock.attempts()[0]?.closedBy).toBeUndefined();
  });
});
