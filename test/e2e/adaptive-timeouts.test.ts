import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localActivityOf } from '../support/local-activity';
import { DEFAULT_BREAKER } from '../../shared/policy/breaker';
import { DEFAULT_HEALTH_OPTIONS } from '../../shared/platform/provider-health';
import { callTimeoutBoundsMs } from '../../shared/tasks';
import { classifyTicket } from '../../shared/tasks/classify-ticket';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * The adaptive call timeout, end to end: the latency the worker observes on real calls (the
 * openai and anthropic SDKs against the mock upstream) reaches the shared breaker entity, and
 * changes both what `GET /v1/providers` says a task would get now and the startToCloseTimeout of
 * the callModel activity the next task schedules (read from its Temporal history).
 */
const TASK = classifyTicket.name;
const BOUNDS = callTimeoutBoundsMs(classifyTicket.envelope);
/** `/v1/providers` shows the timeouts for this nominal prompt size (providers.controller.ts). */
const NOMINAL_INPUT_TOKENS = 500;
const SLOW_MS = 1_000;

interface ProviderEntry {
  provider: string;
  model: string;
  stats: { requests: number; failures: number; latencyMs: { p95: number | null } };
  timeoutMs: Record<string, number>;
}

let mock: MockUpstream;
let stack: Stack;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startStack(upstreamEnv(mock.url));
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
  await mock?.close();
});

async function providerEntry(provider: string): Promise<ProviderEntry> {
  const res = await stack.call('/v1/providers');
  expect(res.status).toBe(200);
  const { providers } = (await res.json()) as { providers: ProviderEntry[] };
  const entry = providers.find((p) => p.provider === provider && p.model === 'ok');
  if (!entry) throw new Error(`${provider}:ok is not listed`);
  return entry;
}

/** Waits until the breaker entity has published `requests` outcomes and the API shows them. */
async function entryAfter(provider: string, requests: number): Promise<ProviderEntry> {
  let entry: ProviderEntry | undefined;
  await waitFor(
    `${requests} outcomes of ${provider}:ok in /v1/providers`,
    async () => {
      entry = await providerEntry(provider);
      return entry.stats.requests >= requests;
    },
    { timeoutMs: 20_000 },
  );
  // A read of the health is reused for viewCacheMs: wait it out so the next admission reads
  // what the API just showed, not an older copy.
  await new Promise((r) => setTimeout(r, DEFAULT_HEALTH_OPTIONS.viewCacheMs + 100));
  return entry!;
}

/** Runs one task synchronously; returns the call timeout in its history and the prompt size. */
async function runTask(
  provider: string,
  n: number,
): Promise<{ callTimeoutMs: number; estimatedInput: number }> {
  const res = await stack.call(`/v1/tasks/${TASK}`, {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: 'Refund', body: `I was charged twice for my subscription (#${n})` },
      options: { route: [`${provider}:ok`], allowDegraded: false },
    }),
  });
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body.meta).toMatchObject({ provider, model: 'ok', path: 'primary', attempts: 1 });
  const history = await client.workflow.getHandle(body.jobId).fetchHistory();
  const events = history.events ?? [];
  // The call runs as a local activity (its timeout is the plan's, recorded by prepareTask's
  // marker) or, in older shapes, as an activity whose scheduled event carries it.
  const calls = events
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((s) => s?.activityType?.name === 'callModel');
  const markers = events.map((e) => e.markerRecordedEventAttributes).filter(Boolean);
  const localCalls = markers.filter((m) => localActivityOf(m)?.type === 'callModel');
  expect(calls.length + localCalls.length).toBe(1);
  const prepared = markers.find((m) => localActivityOf(m)?.type === 'prepareTask');
  const plan = JSON.parse(
    Buffer.from(prepared!.details!.result!.payloads![0]!.data!).toString('utf8'),
  ) as { plan: { candidates: Array<{ timeoutMs: number }> } };
  return {
    callTimeoutMs: calls[0]
      ? tsToMs(calls[0].startToCloseTimeout)
      : plan.plan.candidates[0]!.timeoutMs,
    estimatedInput: body.meta.tokens.estimatedInput as number,
  };
}

describe('adaptive call timeouts from observed latency', () => {
  it('with no latency data a call gets the widest timeout, in the API and in the history', async () => {
    for (const provider of ['openai', 'anthropic']) {
      const entry = await providerEntry(provider);
      expect(entry.stats.requests).toBe(0);
      expect(entry.timeoutMs[TASK]).toBe(BOUNDS.maxMs);
    }
    expect((await runTask('openai', 0)).callTimeoutMs).toBe(BOUNDS.maxMs);
  });

  it('fast calls tighten the timeout to the task’s floor', async () => {
    // Four more fast calls: the window holds minRequests successful samples.
    for (let n = 1; n < DEFAULT_BREAKER.minRequests; n++) await runTask('openai', n);
    const entry = await entryAfter('openai', DEFAULT_BREAKER.minRequests);
    expect(entry.timeoutMs[TASK]).toBe(BOUNDS.minMs);
    expect((await runTask('openai', 99)).callTimeoutMs).toBe(BOUNDS.minMs);
  });

  it('slow calls give a longer timeout: p95 × 2 scaled by the prompt, the same in both places', async () => {
    const put = await fetch(`${mock.url}/_mock/latency`, {
      method: 'PUT',
      body: JSON.stringify({ latencyMs: SLOW_MS }),
    });
    expect(put.status).toBe(200);
    // No data yet on anthropic:ok, so these slow calls run under the widest timeout.
    for (let n = 0; n < DEFAULT_BREAKER.minRequests; n++) {
      expect((await runTask('anthropic', n)).callTimeoutMs).toBe(BOUNDS.maxMs);
    }
    const entry = await entryAfter('anthropic', DEFAULT_BREAKER.minRequests);
    const p95 = entry.stats.latencyMs.p95!;
    expect(p95).toBeGreaterThanOrEqual(SLOW_MS);
    const shown = entry.timeoutMs[TASK]!;
    expect(shown).toBe(
      Math.min(BOUNDS.maxMs, Math.round(p95 * 2 * (1 + NOMINAL_INPUT_TOKENS / 4000))),
    );
    expect(shown).toBeGreaterThan(BOUNDS.minMs);
    expect(shown).toBeGreaterThan((await providerEntry('openai')).timeoutMs[TASK]!);

    const { callTimeoutMs, estimatedInput } = await runTask('anthropic', 99);
    expect(callTimeoutMs).toBe(
      Math.min(BOUNDS.maxMs, Math.round(p95 * 2 * (1 + estimatedInput / 4000))),
    );
    expect(callTimeoutMs).toBeGreaterThan(BOUNDS.minMs);
    expect(callTimeoutMs).toBeLessThan(BOUNDS.maxMs);
  });
});
