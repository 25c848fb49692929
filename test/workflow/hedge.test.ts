import { randomUUID } from 'node:crypto';
import { tsToMs } from '@temporalio/common/lib/time';
import { describe, expect, it } from 'vitest';
import {
  streamNotSupported,
  type ModelRequest,
  type ModelProvider,
} from '../../activities/models/providers/model-provider';
import type { RunTaskRequest, RunTaskResult } from '../../shared/contracts/job';
import { DEFAULT_FILE_CONFIG, parseFileConfig } from '../../shared/platform/config-file';
import { waitFor } from '../support/processes';
import { startRunTask, withWorker } from '../support/temporal-test-kit';

/**
 * Hedged calls on a real dev server: the plan gives the primary a hedge delay (as admission does
 * from its p95 when the policy turns hedging on); a scripted slow primary and a fast secondary
 * show who wins, what is cancelled and what is counted.
 */
const registry = parseFileConfig(
  {
    ...DEFAULT_FILE_CONFIG,
    providers: [
      ...(DEFAULT_FILE_CONFIG.providers ?? []),
      ...['sluggish', 'quick'].map((name) => ({ name, type: 'openai-compatible' as const })),
    ],
    models: [
      ...(DEFAULT_FILE_CONFIG.models ?? []),
      ...['sluggish', 'quick'].map((provider) => ({
        provider,
        name: 'x',
        price: { input: 1, output: 2 },
      })),
    ],
  },
  'test',
);
/** One scripted call (3 in, 4 out) at $1 / $2 per M tokens. */
const CALL_USD = (3 * 1 + 4 * 2) / 1e6;
const HEDGE_AFTER_MS = 300;

/** A provider that answers after `delayMs`, or rejects when its call is aborted. */
function timed(
  slug: string,
  delayMs: number,
): ModelProvider & { calls: number; aborted: number; answered: number } {
  const provider = {
    slug,
    type: 'openai-compatible' as const,
    calls: 0,
    aborted: 0,
    answered: 0,
    generate(req: ModelRequest) {
      provider.calls += 1;
      return new Promise<Awaited<ReturnType<ModelProvider['generate']>>>((resolve, reject) => {
        const timer = setTimeout(() => {
          provider.answered += 1;
          resolve({
            output: { category: 'BILLING', confidence: 0.9, rationale: `from ${slug}` },
            model: 'x',
            usage: { inputTokens: 3, outputTokens: 4, cachedInputTokens: 0 },
            finishReason: 'stop' as const,
          });
        }, delayMs);
        req.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          provider.aborted += 1;
          reject(new Error('aborted'));
        });
      });
    },
    stream: () => streamNotSupported(slug),
  };
  return provider;
}

function request(): RunTaskRequest {
  return {
    task: 'classify-ticket',
    tenantId: 'acme',
    requestId: randomUUID(),
    input: { subject: 'Refund', body: 'I was charged twice for my subscription' },
    options: { route: ['sluggish:x', 'quick:x'] },
  };
}

/** The real admission, with the primary's hedge delay set (or not) as a policy would. */
function worker(
  providers: ModelProvider[],
  hedgeAfterMs: number | undefined,
): Parameters<typeof withWorker>[0] {
  return {
    providers,
    activityDeps: { registry },
    overrides: (real) => ({
      prepareTask: async (req) => {
        const { plan, screening } = await real.prepareTask(req);
        const candidates = plan.candidates.map((c, i) =>
          i === 0 && hedgeAfterMs !== undefined ? { ...c, hedgeAfterMs } : c,
        );
        return { screening, plan: { ...plan, candidates } };
      },
    }),
  };
}

/** The patch markers of a history, and its hedge timers (`hedgeAfterMs` long): fired or cancelled. */
async function markers(
  handle: Awaited<ReturnType<typeof startRunTask>>,
  hedgeAfterMs: number,
): Promise<{ patches: string[]; hedgeTimers: { fired: number; cancelled: number } }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const hedgeTimers = new Set(
    events
      .map((e) => e.timerStartedEventAttributes)
      .filter((t) => t && tsToMs(t.startToFireTimeout) === hedgeAfterMs)
      .map((t) => t!.timerId),
  );
  const count = (ids: Array<string | null | undefined>): number =>
    ids.filter((id) => hedgeTimers.has(id ?? '')).length;
  const patches = events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => {
      const data = m!.details?.['patch-data']?.payloads?.[0]?.data;
      return (JSON.parse(Buffer.from(data ?? []).toString('utf8')) as { id: string }).id;
    });
  return {
    patches,
    hedgeTimers: {
      fired: count(events.map((e) => e.timerFiredEventAttributes?.timerId)),
      cancelled: count(events.map((e) => e.timerCanceledEventAttributes?.timerId)),
    },
  };
}

describe('hedged calls', () => {
  it('a slow primary past its hedge delay: the secondary answers, the primary is cancelled, both calls counted', async () => {
    const sluggish = timed('sluggish', 20_000);
    const quick = timed('quick', 50);
    await withWorker(worker([sluggish, quick], HEDGE_AFTER_MS), async ({ client, taskQueue }) => {
      const handle = await startRunTask(client, taskQueue, request());
      const result: RunTaskResult = await handle.result();
      expect(result.output).toMatchObject({ category: 'BILLING', rationale: 'from quick' });
      expect(result.meta).toMatchObject({ provider: 'quick', model: 'x', path: 'fallback' });
      // Two calls: the winner's, billed, and the cancelled one's attempt.
      expect(result.meta.attempts).toBe(2);
      expect(result.meta.costUsd).toBeCloseTo(CALL_USD, 9);
      expect(result.meta.reasons).toEqual([
        `hedged: started quick:x after ${HEDGE_AFTER_MS} ms without an answer from sluggish:x; quick:x won, sluggish:x cancelled`,
      ]);
      expect(result.meta.reasonCodes).toEqual(['hedge']);
      expect(
        (result.steps ?? []).map((s) => `${s.name} ${s.outcome} ${s.detail ?? ''}`.trim()),
      ).toEqual([
        expect.stringMatching(/^admit ok route sluggish:x → quick:x/),
        expect.stringMatching(/^screen ok/),
        'call ok quick:x',
        expect.stringMatching(/^validate ok/),
        'call failed sluggish:x cancelled: quick:x answered first (hedge)',
        'record ok',
      ]);
      // The worker aborts the loser's HTTP call; it never answers.
      await waitFor('the primary call aborted', () => sluggish.aborted === 1, {
        timeoutMs: 10_000,
      });
      expect(sluggish).toMatchObject({ calls: 1, answered: 0 });
      expect(quick).toMatchObject({ calls: 1, answered: 1 });
      expect(await markers(handle, HEDGE_AFTER_MS)).toEqual({
        patches: ['vendor-calls-local-v1', 'hedged-calls-v1'],
        hedgeTimers: { fired: 1, cancelled: 0 },
      });
    });
  });

  it('a primary that answers before its hedge delay: one call, the hedge timer cancelled', async () => {
    const sluggish = timed('sluggish', 20);
    const quick = timed('quick', 20);
    await withWorker(worker([sluggish, quick], 5_000), async ({ client, taskQueue }) => {
      const handle = await startRunTask(client, taskQueue, request());
      const result: RunTaskResult = await handle.result();
      expect(result.meta).toMatchObject({ provider: 'sluggish', path: 'primary', attempts: 1 });
      expect(result.meta.reasons).toEqual([]);
      expect(quick.calls).toBe(0);
      expect(await markers(handle, 5_000)).toEqual({
        patches: ['vendor-calls-local-v1', 'hedged-calls-v1'],
        hedgeTimers: { fired: 0, cancelled: 1 },
      });
    });
  });

  it('hedging off (no hedge delay in the plan): no second call, no timer, no new marker', async () => {
    const sluggish = timed('sluggish', 1_500);
    const quick = timed('quick', 20);
    await withWorker(worker([sluggish, quick], undefined), async ({ client, taskQueue }) => {
      const handle = await startRunTask(client, taskQueue, request());
      const result: RunTaskResult = await handle.result();
      expect(result.meta).toMatchObject({ provider: 'sluggish', path: 'primary', attempts: 1 });
      expect(quick.calls).toBe(0);
      expect(await markers(handle, HEDGE_AFTER_MS)).toEqual({
        patches: ['vendor-calls-local-v1'],
        hedgeTimers: { fired: 0, cancelled: 0 },
      });
    });
  });
});
