import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import type { CallModelArgs, CallModelResult } from '../../activities/models/call-model';
import { withDebugSamples } from '../../activities/models/debug-samples';
import { createLogger } from '../../shared/platform/logger';
import { MAX_SAMPLE_TEXT_CHARS } from '../../shared/tenancy/debug-samples';
import type { NewDebugSample, TenantStore } from '../../shared/tenancy/store';

/**
 * The debug-sample wrapper of `callModel` (docs/debug-samples.md) in an activity context: what it
 * keeps of a sampled call (masked, cut without splitting a value), of a failed one, and which
 * jobs it samples (a hash of the job id, the same every time).
 */
const logger = createLogger({ name: 'test', level: 'silent' });

function fakeStore(setting: unknown): { store: TenantStore; kept: NewDebugSample[] } {
  const kept: NewDebugSample[] = [];
  const store = {
    getTenant: () =>
      Promise.resolve({ overrides: setting === undefined ? {} : { debugSamples: setting } }),
    prompts: { version: () => Promise.resolve(undefined) },
    debugSamples: {
      record: (s: NewDebugSample) => {
        kept.push(s);
        return Promise.resolve();
      },
    },
  } as unknown as TenantStore;
  return { store, kept };
}

const answer: CallModelResult = {
  text: '{"category":"BILLING","confidence":0.9,"rationale":"mail jane@example.com"}',
  provider: 'local',
  model: 'keel-local-1',
  usage: { inputTokens: 40, outputTokens: 12, cachedInputTokens: 0 },
  costUsd: 0,
  finishReason: 'stop',
  attempt: 1,
  providerMs: 3,
};

const args = (body: string): CallModelArgs => ({
  task: 'classify-ticket',
  input: { subject: 'Refund', body },
  provider: 'local',
  model: 'keel-local-1',
  billing: { tenantId: 'acme', promptVersion: 'classify-ticket@1' },
});

const inJob = (jobId: string) =>
  new MockActivityEnvironment({ workflowExecution: { workflowId: jobId, runId: 'run-1' } });

describe('debug samples of model calls', () => {
  it('keeps a sampled call masked, each text cut at its limit but never through a value', async () => {
    const { store, kept } = fakeStore({ rate: 1, retentionDays: 3 });
    const call = withDebugSamples(() => Promise.resolve(answer), {
      store,
      logger,
      now: () => 1_000,
    });
    // An e-mail early, a phone number straddling the cut.
    const body = `Write to sam.lee@example.org. ${'x'.repeat(MAX_SAMPLE_TEXT_CHARS - 200)} call +1 415 555 0132 ${'y'.repeat(5_000)}`;
    expect(await inJob('classify-ticket-1').run(call, args(body))).toBe(answer);
    expect(kept).toHaveLength(1);
    const [s] = kept;
    expect(s).toMatchObject({
      tenantId: 'acme',
      jobId: 'classify-ticket-1',
      task: 'classify-ticket',
      model: 'keel-local-1',
      promptVersion: 'classify-ticket@1',
      outcome: 'ok',
      inputTokens: 40,
      outputTokens: 12,
      at: 1_000,
      expiresAt: 1_000 + 3 * 24 * 3600 * 1000,
      droppedMessages: 0,
    });
    const user = s!.messages.at(-1)!.content;
    expect(user).toContain('Write to [EMAIL].');
    expect(user).toMatch(/… \[\d+ more characters not logged\]$/);
    expect(user.length).toBeLessThan(MAX_SAMPLE_TEXT_CHARS + 50);
    for (const part of ['sam.lee', '415 555', '+1 4']) expect(user).not.toContain(part);
    expect(s!.output).toBe('{"category":"BILLING","confidence":0.9,"rationale":"mail [EMAIL]"}');
  });

  it('keeps a failed call with its failure type and no answer, and fails it unchanged', async () => {
    const { store, kept } = fakeStore({ rate: 1, retentionDays: 1 });
    const failure = ApplicationFailure.retryable('429 from the vendor', 'RateLimited');
    const call = withDebugSamples(() => Promise.reject(failure), { store, logger, now: () => 5 });
    await expect(inJob('classify-ticket-2').run(call, args('Refund please'))).rejects.toBe(failure);
    expect(kept).toMatchObject([{ outcome: 'RateLimited', output: null, inputTokens: null }]);
  });

  it('samples by job id: the same job alike every time, about the rate of jobs, none when off', async () => {
    const sampledJobs = async (setting: unknown, jobs: string[]): Promise<Set<string>> => {
      const { store, kept } = fakeStore(setting);
      const call = withDebugSamples(() => Promise.resolve(answer), {
        store,
        logger,
        now: Date.now,
      });
      for (const job of jobs) await inJob(job).run(call, args('Refund'));
      return new Set(kept.map((s) => s.jobId));
    };
    const jobs = Array.from({ length: 200 }, (_, i) => `classify-ticket-${i}`);
    const half = await sampledJobs({ rate: 0.5, retentionDays: 1 }, jobs);
    expect(half.size).toBeGreaterThan(70);
    expect(half.size).toBeLessThan(130);
    expect(await sampledJobs({ rate: 0.5, retentionDays: 1 }, jobs)).toEqual(half);
    expect((await sampledJobs(undefined, jobs)).size).toBe(0);
    expect((await sampledJobs(null, jobs)).size).toBe(0);
    expect((await sampledJobs({ rate: 0, retentionDays: 1 }, jobs)).size).toBe(0);
  });
});
