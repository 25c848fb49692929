import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { localActivityOf } from '../support/local-activity';
import { createLocalProvider } from '../../activities/models/providers/local-provider';
import {
  streamNotSupported,
  type ModelProvider,
} from '../../activities/models/providers/model-provider';
import type { RunTaskRequest, RunTaskResult } from '../../shared/contracts/job';
import { SearchAttr, getJobStateQuery } from '../../shared/contracts/messages';
import { DEFAULT_FILE_CONFIG, parseFileConfig } from '../../shared/platform/config-file';
import { waitFor } from '../support/processes';
import { startRunTask, withWorker } from '../support/temporal-test-kit';

const { EventType } = temporal.api.enums.v1;

const ticket = { subject: 'Refund', body: 'I was charged twice for my subscription' };

function request(overrides: Partial<RunTaskRequest> = {}): RunTaskRequest {
  return {
    task: 'classify-ticket',
    tenantId: 'acme',
    requestId: randomUUID(),
    input: ticket,
    options: {},
    ...overrides,
  };
}

const start = startRunTask;

/**
 * The steps a history records, in order: regular activities (with the attempt they were started
 * with) and local activities (markers carrying their type).
 */
async function activityStory(
  client: Client,
  workflowId: string,
): Promise<Array<{ type: string; attempt: number; local: boolean }>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const story: Array<{ type: string; attempt: number; local: boolean }> = [];
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), s.activityType?.name ?? '?');
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      story.push({
        type: scheduled.get(String(started.scheduledEventId)) ?? '?',
        attempt: started.attempt ?? 1,
        local: false,
      });
    }
    const local = localActivityOf(event.markerRecordedEventAttributes);
    if (local) story.push({ ...local, local: true });
  }
  return story;
}

/** The built-in registry plus the scripted test providers' models, at $1 / $2 per M tokens. */
const registry = parseFileConfig(
  {
    ...DEFAULT_FILE_CONFIG,
    providers: [
      ...(DEFAULT_FILE_CONFIG.providers ?? []),
      ...['broken', 'flaky', 'down'].map((name) => ({ name, type: 'openai-compatible' as const })),
    ],
    models: [
      ...(DEFAULT_FILE_CONFIG.models ?? []),
      ...[
        ['broken', 'x'],
        ['flaky', 'x'],
        ['down', 'a'],
        ['down', 'b'],
      ].map(([provider, name]) => ({
        provider: provider!,
        name: name!,
        price: { input: 1, output: 2 },
      })),
    ],
  },
  'test',
);
/** One scripted call (3 in, 4 out) at that price. */
const SCRIPTED_CALL_USD = (3 * 1 + 4 * 2) / 1e6;

/** A provider with a scripted answer, to drive the pipeline's branches. */
function scripted(
  slug: string,
  answer: (call: number) => unknown,
): ModelProvider & { calls: number } {
  const provider = {
    slug,
    type: 'openai-compatible' as const,
    calls: 0,
    generate() {
      provider.calls += 1;
      const output = answer(provider.calls);
      if (output instanceof Error) return Promise.reject(output);
      return Promise.resolve({
        output,
        model: 'scripted-1',
        usage: { inputTokens: 3, outputTokens: 4, cachedInputTokens: 0 },
        finishReason: 'stop' as const,
      });
    },
    stream: () => streamNotSupported(slug),
  };
  return provider;
}

/** The activity story as `callModel (local)` labels. */
async function labelledStory(client: Client, workflowId: string): Promise<string[]> {
  return (await activityStory(client, workflowId)).map(
    (s) => `${s.type}${s.local ? ' (local)' : ''}`,
  );
}

describe('runTask workflow on a real dev server', () => {
  it('runs admit → call → validate → record and returns a validated result with meta', async () => {
    await withWorker({}, async ({ client, taskQueue }) => {
      const handle = await start(client, taskQueue, request());
      const result: RunTaskResult = await handle.result();
      expect(result.output).toMatchObject({ category: 'BILLING' });
      expect(result.meta).toMatchObject({
        provider: 'local',
        model: 'keel-local-1',
        promptVersion: 'classify-ticket@1',
        attempts: 1,
        path: 'primary',
        validation: {
          schema: { status: 'passed' },
          rules: { status: 'passed' },
          grounding: { status: 'passed' },
          moderation: { status: 'passed' },
          parse: 'object',
          rejected: [],
        },
        moderation: {
          input: { pii: { found: [], action: 'none' }, injection: { action: 'none' } },
          output: { pii: { found: [], action: 'none' }, restored: 0 },
        },
      });
      expect(result.meta.latencyMs).toBeGreaterThanOrEqual(0);
      expect(await labelledStory(client, handle.workflowId)).toEqual([
        // Admission and screening share one local activity.
        'prepareTask (local)',
        // The in-process model is a local activity too: the task is one workflow task.
        'callModel (local)',
        'validateOutput (local)',
        'recordResult (local)',
      ]);
      const desc = await handle.describe();
      expect(desc.typedSearchAttributes.get(SearchAttr.status)).toBe('completed');
      expect(desc.typedSearchAttributes.get(SearchAttr.tenant)).toBe('acme');
      expect(desc.typedSearchAttributes.get(SearchAttr.path)).toBe('primary');
      expect(desc.typedSearchAttributes.get(SearchAttr.inputKey)).toMatch(/^[0-9a-f]{32}$/);
      // One upsert carries status, path and input key (the other is the SDK's
      // TemporalChangeVersion for the patch), and the whole task is one workflow task.
      const events = (await handle.fetchHistory()).events ?? [];
      const count = (type: temporal.api.enums.v1.EventType) =>
        events.filter((e) => e.eventType === type).length;
      expect(count(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)).toBe(2);
      expect(count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toBe(1);
      const state = await handle.query(getJobStateQuery);
      expect(state.steps.map((s) => `${s.name}:${s.outcome}`)).toEqual([
        'admit:ok',
        'screen:ok',
        'call:ok',
        'validate:ok',
        'record:ok',
      ]);
    });
  });

  it('runs an external call that fits a workflow task as a local activity: one workflow task', async () => {
    const vendor = scripted('flaky', () => ({
      category: 'BILLING',
      confidence: 0.9,
      rationale: 'charged twice',
    }));
    await withWorker(
      { providers: [vendor], activityDeps: { registry } },
      async ({ client, taskQueue }) => {
        const handle = await start(client, taskQueue, request({ options: { route: ['flaky:x'] } }));
        const result: RunTaskResult = await handle.result();
        expect(result.meta).toMatchObject({ provider: 'flaky', attempts: 1, path: 'primary' });
        expect(await labelledStory(client, handle.workflowId)).toEqual([
          'prepareTask (local)',
          'callModel (local)',
          'validateOutput (local)',
          'recordResult (local)',
        ]);
        const events = (await handle.fetchHistory()).events ?? [];
        const count = (type: temporal.api.enums.v1.EventType) =>
          events.filter((e) => e.eventType === type).length;
        expect(count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toBe(1);
        expect(count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(0);
        // One patch marker (vendor-calls-local-v1) beside the four local activities' markers.
        expect(count(EventType.EVENT_TYPE_MARKER_RECORDED)).toBe(5);
        // The input travels once: in the start event, not again in the plan's marker.
        const payloads = JSON.stringify(
          events
            .flatMap((e) => [
              ...(e.workflowExecutionStartedEventAttributes?.input?.payloads ?? []),
              ...Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap(
                (p) => p.payloads ?? [],
              ),
            ])
            .map((p) => Buffer.from(p.data ?? []).toString('utf8')),
        );
        expect(payloads.split(ticket.body).length - 1).toBe(1);
      },
    );
  });

  it('refuses invalid input at admission without calling a model', async () => {
    await withWorker({}, async ({ client, taskQueue }) => {
      const handle = await start(client, taskQueue, request({ input: { subject: 'x' } }));
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('InvalidInput');
      expect(JSON.stringify(cause.details)).toContain('input.body');
      // No model call: admission, then the job's end written to the event log (job-end-events-v1).
      expect((await activityStory(client, handle.workflowId)).map((s) => s.type)).toEqual([
        'prepareTask',
        'publishJobEnd',
      ]);
      expect((await handle.describe()).typedSearchAttributes.get(SearchAttr.status)).toBe('failed');
    });
  });

  it('a failure to record the result marks the run failed (search attribute and job state)', async () => {
    await withWorker(
      {
        overrides: () => ({
          recordResult: () =>
            Promise.reject(
              ApplicationFailure.nonRetryable('the result store is down', 'RecordUnavailable'),
            ),
        }),
      },
      async ({ client, taskQueue }) => {
        const handle = await start(client, taskQueue, request());
        const err = await handle.result().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WorkflowFailedError);
        expect(((err as WorkflowFailedError).cause as ApplicationFailure).type).toBe(
          'RecordUnavailable',
        );
        expect((await handle.describe()).typedSearchAttributes.get(SearchAttr.status)).toBe(
          'failed',
        );
        const state = await handle.query(getJobStateQuery);
        expect(state.status).toBe('failed');
        expect(state.steps.map((s) => s.name)).not.toContain('record');
      },
    );
  });

  it('re-asks once, then moves to the next candidate when a model keeps failing the schema', async () => {
    const broken = scripted('broken', () => ({ category: 'SHIPPING', confidence: 7 }));
    await withWorker(
      { providers: [broken, createLocalProvider()], activityDeps: { registry } },
      async ({ client, taskQueue }) => {
        const handle = await start(
          client,
          taskQueue,
          request({ options: { route: ['broken:x', 'local:keel-local-1'] } }),
        );
        const result: RunTaskResult = await handle.result();
        expect(result.meta.path).toBe('fallback');
        expect(result.meta.provider).toBe('local');
        expect(result.meta.attempts).toBe(3);
        expect(result.meta.reasons.join('\n')).toMatch(
          /broken:x failed schema: output\.category .* → re-ask\n.*broken:x failed schema: .* → next/,
        );
        expect(result.meta.validation.rejected.map((r) => `${r.layer}:${r.action}`)).toEqual([
          'schema:re-ask',
          'schema:next',
        ]);
        expect(broken.calls).toBe(2); // one re-ask, then the next candidate
        // The broken calls were billed too: their tokens and cost are in the task's totals.
        expect(result.meta.costUsd).toBeCloseTo(2 * SCRIPTED_CALL_USD, 9);
        expect(result.meta.tokens.input).toBeGreaterThan(3);
      },
    );
  });

  it('retries a failing call on the same candidate, then succeeds', async () => {
    const flaky = scripted('flaky', (n) =>
      n === 1
        ? new Error('socket hang up')
        : { category: 'TECHNICAL', confidence: 0.7, rationale: 'r' },
    );
    await withWorker(
      { providers: [flaky], activityDeps: { registry } },
      async ({ client, taskQueue }) => {
        const handle = await start(client, taskQueue, request({ options: { route: ['flaky:x'] } }));
        const result: RunTaskResult = await handle.result();
        expect(result.output).toMatchObject({ category: 'TECHNICAL' });
        expect(flaky.calls).toBe(2);
        expect(result.meta.attempts).toBe(2); // the retry counts as a model call
        expect(result.meta.costUsd).toBeCloseTo(SCRIPTED_CALL_USD, 9);
        expect(result.meta.tokens).toMatchObject({ input: 3, output: 4, cachedInput: 0 });
        expect(result.meta.tokens.estimatedInput).toBeGreaterThan(20);
        const calls = (await activityStory(client, handle.workflowId)).filter(
          (s) => s.type === 'callModel',
        );
        // The first attempt runs in the workflow task (a local activity's marker); the retry
        // continues as a regular activity, whose own first attempt it is.
        expect(calls).toEqual([
          { type: 'callModel', attempt: 1, local: true },
          { type: 'callModel', attempt: 1, local: false },
        ]);
      },
    );
  });

  it('fails with AllCandidatesFailed and names each reason when every candidate fails', async () => {
    // Shaped like the vendor SDKs' APIError: a status, and headers without Retry-After.
    const down = scripted('down', () =>
      Object.assign(new Error('Service Unavailable'), { status: 503, headers: new Headers() }),
    );
    await withWorker(
      { providers: [down], activityDeps: { registry } },
      async ({ client, taskQueue }) => {
        const handle = await start(
          client,
          taskQueue,
          request({ options: { route: ['down:a', 'down:b'], allowDegraded: false } }),
        );
        const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
        const cause = err.cause as ApplicationFailure;
        expect(cause.type).toBe('AllCandidatesFailed');
        const reasons = (cause.details?.[0] as { reasons: string[] }).reasons;
        expect(reasons).toHaveLength(2);
        expect(reasons[0]).toBe('down:a ServerError (HTTP 503)');
        expect(down.calls).toBe(4); // 2 attempts per candidate
      },
    );
  });

  it('degrades to the deterministic fallback when every candidate fails, and says why', async () => {
    const down = scripted('down', () =>
      Object.assign(new Error('Service Unavailable'), { status: 503, headers: new Headers() }),
    );
    await withWorker(
      { providers: [down, createLocalProvider()], activityDeps: { registry } },
      async ({ client, taskQueue }) => {
        const handle = await start(
          client,
          taskQueue,
          request({ options: { route: ['down:a', 'down:b'] } }),
        );
        const result: RunTaskResult = await handle.result();
        expect(result.output).toMatchObject({ category: 'BILLING' });
        expect(result.meta).toMatchObject({ path: 'degraded', provider: 'local', attempts: 5 });
        expect(result.meta.reasons).toEqual([
          'down:a ServerError (HTTP 503)',
          'down:b ServerError (HTTP 503)',
        ]);
      },
    );
  });

  it('the hard timeout stops a hanging call, cancels it, and degrades', async () => {
    let aborted = false;
    const hanging: ModelProvider = {
      slug: 'flaky',
      type: 'openai-compatible',
      generate: (req) =>
        new Promise((_, reject) =>
          req.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          }),
        ),
      stream: () => streamNotSupported('flaky'),
    };
    await withWorker(
      {
        providers: [hanging, createLocalProvider()],
        activityDeps: { registry },
        // The same admission, with a 2 s hard timeout and a call timeout far beyond it.
        overrides: (real) => ({
          prepareTask: async (req) => {
            const { plan, screening } = await real.prepareTask(req);
            return {
              screening,
              plan: {
                ...plan,
                hardTimeoutMs: 2_000,
                candidates: plan.candidates.map((c) => ({ ...c, timeoutMs: 60_000 })),
              },
            };
          },
        }),
      },
      async ({ client, taskQueue }) => {
        const handle = await start(client, taskQueue, request({ options: { route: ['flaky:x'] } }));
        const result: RunTaskResult = await handle.result();
        expect(result.meta.path).toBe('degraded');
        expect(result.meta.reasons).toEqual(['hard timeout: 2000 ms spent on the route']);
        // The next heartbeat (throttled to every 4 s) carries the cancellation to the HTTP call.
        await waitFor('the hanging call aborted', () => aborted, { timeoutMs: 10_000 });
      },
    );
  });
});
