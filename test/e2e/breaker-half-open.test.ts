import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_OPTIONS } from '../../shared/platform/provider-health';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { scrapeMetrics } from '../support/prometheus';
import {
  MOCK_UPSTREAM_CONFIG,
  mockUpstreamConfigWith,
  startEmbeddedStack,
  upstreamEnv,
  type EmbeddedStack,
} from '../support/stack';

/**
 * The half-open state end to end: `openai:recovering` (a model of its own, which the mock serves
 * as `503`, later as `ok`) fails until its shared breaker opens and requests skip it for
 * `anthropic:ok`; after the cool-down the upstream recovers (or not), exactly one probe reaches
 * it while the circuit is half-open, and the probe's outcome closes or reopens the circuit. Seen
 * the way an operator and a caller see it: the upstream's attempt log, `GET /metrics` through a
 * Prometheus text parser (`keel_breaker_state` 2 → 1 → 0, or 2 → 1 → 2), `GET /v1/providers` and
 * each answer's `meta`. One API process with its worker inside: one registry, whose gauge holds
 * what the process last read of the shared breaker (here, at the latest, `GET /v1/providers`).
 */
/**
 * The cool-down: long enough that a request is sure to meet the open circuit before it ends (the
 * outcomes are batched, and each `GET /v1/providers` reads every model's breaker: slow under load).
 */
const OPEN_MS = 8_000;
/**
 * The primary's latency while the probe is out, so the half-open state lasts to be seen. The
 * probe's caller routes to the primary alone: as the last candidate it has the call timeout
 * (7.5 s for classify-ticket) rather than half the 8 s sync envelope.
 */
const PROBE_LATENCY_MS = 5_000;
/** The smallest `breaker.openMs` the config file accepts (shared/platform/config-file.ts). */
const MIN_OPEN_MS = 100;
const PRIMARY = { provider: 'openai', model: 'recovering' };

let mock: MockUpstream;
let stack: EmbeddedStack;
let n = 0;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
});
afterAll(async () => {
  await mock?.close();
});

/** A stack of its own (a task queue, so breakers of its own) with the breaker's cool-down. */
function stackWith(openMs: number): void {
  beforeAll(async () => {
    const { models } = JSON.parse(readFileSync(MOCK_UPSTREAM_CONFIG, 'utf8'));
    const recovering = { provider: 'openai', name: PRIMARY.model, price: { input: 2, output: 8 } };
    const config = mockUpstreamConfigWith({
      models: [...models, recovering],
      breaker: { minRequests: 2, openMs },
    });
    stack = await startEmbeddedStack(upstreamEnv(mock.url, config));
  });
  afterAll(async () => {
    await stack?.stop();
  });
}

const FALLBACK_ROUTE = ['openai:recovering', 'anthropic:ok'];
/** One classify-ticket, by default primary → fallback; a distinct ticket each (no single-flight). */
const run = async (route = FALLBACK_ROUTE): Promise<any> => {
  n += 1;
  const res = await stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({
      input: { subject: 'Refund', body: `I was charged twice, order ${n}.` },
      options: { route },
    }),
  });
  expect(res.status).toBe(200);
  return res.json();
};
/** Calls that reached the primary, from the upstream's own log. */
const primaryCalls = (): number => mock.attempts().filter((a) => a.model === PRIMARY.model).length;
const health = async (): Promise<any> =>
  ((await (await stack.call('/v1/providers')).json()) as any).providers.find(
    (p: any) => p.provider === PRIMARY.provider && p.model === PRIMARY.model,
  );
const gauge = async (): Promise<number> =>
  (await scrapeMetrics(`${stack.baseUrl}/metrics`)).value('keel_breaker_state', PRIMARY);
const untilState = (state: string, transitions: number): Promise<void> =>
  waitFor(
    `the breaker to be ${state} after ${transitions} transitions`,
    async () => {
      const h = await health();
      return h.state === state && h.transitions.length === transitions;
    },
    { timeoutMs: 15_000 },
  );

/** Breaks the primary until its circuit opens. Returns the gauge read then. */
async function breakPrimary(): Promise<number> {
  const transitions = (await health()).transitions.length + 1;
  mock.serveAs(PRIMARY.model, '503');
  const before = primaryCalls();
  const failed = await run();
  // Two attempts, both 503; the fallback answers.
  expect(failed.meta).toMatchObject({ path: 'fallback', provider: 'anthropic' });
  expect(primaryCalls()).toBe(before + 2);
  await untilState('open', transitions);
  return gauge();
}

/** While the circuit is open, admission skips the primary: no call reaches the upstream. */
async function expectSkipped(): Promise<void> {
  // Readers reuse a breaker read for viewCacheMs: after that, the worker's planning sees it open
  // too (before, its call is refused by the breaker instead, as CircuitOpen; no call either way).
  await new Promise((r) => setTimeout(r, DEFAULT_HEALTH_OPTIONS.viewCacheMs));
  const before = primaryCalls();
  const skipped = await run();
  expect(skipped.meta).toMatchObject({ path: 'fallback', provider: 'anthropic' });
  expect(skipped.meta.reasons, JSON.stringify(skipped.meta)).toEqual([
    'openai:recovering circuit open',
  ]);
  expect(primaryCalls()).toBe(before);
}

/** Polls until the cool-down of the circuit as published has passed (no clock assertion). */
async function coolDown(openMs: number): Promise<void> {
  const { openedAt } = await health();
  expect(typeof openedAt).toBe('number');
  await waitFor('the cool-down to pass', () => Date.now() - openedAt > openMs, {
    timeoutMs: openMs + 10_000,
  });
}

/**
 * Sends the request that will probe, waits until its call is at the upstream and the circuit is
 * half-open, and sends three more meanwhile: none of them reaches the upstream.
 */
async function probeWithRivals(): Promise<{ probe: any; rivals: any[]; halfOpen: number }> {
  const before = primaryCalls();
  const probe = run(['openai:recovering']);
  await waitFor('the probe to reach the upstream', () => primaryCalls() === before + 1, {
    timeoutMs: 10_000,
  });
  await waitFor('the breaker to be half-open', async () => (await health()).state === 'half_open', {
    timeoutMs: PROBE_LATENCY_MS,
  });
  const halfOpen = await gauge();
  const rivals = await Promise.all([run(), run(), run()]);
  return { probe: await probe, rivals, halfOpen };
}

/** The upstream recovers (slowly): one probe while half-open, it answers, the circuit closes. */
async function recoverWithOneProbe(openMs: number, opened: number): Promise<void> {
  await coolDown(openMs);
  mock.serveAs(PRIMARY.model, 'ok', PROBE_LATENCY_MS);
  const before = primaryCalls();
  const { probe, rivals, halfOpen } = await probeWithRivals();
  // The probe's caller gets the primary's answer; the others were refused the probe (a
  // non-retryable CircuitOpen) and answered by the fallback.
  expect(probe.meta).toMatchObject({ path: 'primary', provider: 'openai' });
  for (const rival of rivals) {
    expect(rival.meta).toMatchObject({ path: 'fallback', provider: 'anthropic' });
    expect(rival.meta.reasons).toEqual([expect.stringMatching(/^openai:recovering CircuitOpen/)]);
  }
  expect(primaryCalls()).toBe(before + 1);

  mock.serveAs(PRIMARY.model, 'ok');
  await untilState('closed', 3);
  expect([opened, halfOpen, await gauge()]).toEqual([2, 1, 0]);
  const { transitions } = await health();
  expect(transitions.map((t: any) => `${t.from}>${t.to}: ${t.reason}`)).toEqual([
    'closed>open: error rate 100% over 2 calls',
    `open>half_open: ${openMs} ms elapsed`,
    'half_open>closed: probe succeeded',
  ]);
  const after = await run();
  expect(after.meta).toMatchObject({ path: 'primary', provider: 'openai' });
  expect(primaryCalls()).toBe(before + 2);
}

describe(`half-open circuit, end to end (cool-down ${OPEN_MS} ms)`, () => {
  stackWith(OPEN_MS);

  it('a recovered provider: one probe, it succeeds, the circuit closes', async () => {
    const opened = await breakPrimary();
    await expectSkipped();
    await recoverWithOneProbe(OPEN_MS, opened);
  });

  it('a provider still down: one probe, it fails, the circuit opens again', async () => {
    const states = [await breakPrimary()];
    const earlier = (await health()).transitions.length - 1;
    await expectSkipped();
    await coolDown(OPEN_MS);
    mock.serveAs(PRIMARY.model, '503', PROBE_LATENCY_MS);
    const before = primaryCalls();
    const { probe, rivals, halfOpen } = await probeWithRivals();
    states.push(halfOpen);
    // The probe's caller is pinned to the primary: its 503 is retried, the retry finds the
    // circuit shut, and the task degrades. One call reached the upstream.
    expect(probe.meta).toMatchObject({ path: 'degraded', provider: 'local' });
    expect(probe.meta.reasons).toEqual([
      'openai:recovering CircuitOpen: circuit open for openai:recovering',
    ]);
    for (const rival of rivals) {
      expect(rival.meta).toMatchObject({ path: 'fallback', provider: 'anthropic' });
      expect(rival.meta.reasons).toEqual([expect.stringMatching(/^openai:recovering CircuitOpen/)]);
    }
    expect(primaryCalls()).toBe(before + 1);

    mock.serveAs(PRIMARY.model, '503');
    await untilState('open', earlier + 3);
    states.push(await gauge());
    expect(states).toEqual([2, 1, 2]);
    const { transitions } = await health();
    expect(transitions.slice(earlier).map((t: any) => `${t.from}>${t.to}: ${t.reason}`)).toEqual([
      // After the first test, the window holds its probe's success and the answer after it.
      earlier
        ? 'closed>open: error rate 50% over 4 calls'
        : 'closed>open: error rate 100% over 2 calls',
      `open>half_open: ${OPEN_MS} ms elapsed`,
      'half_open>open: probe failed: ServerError',
    ]);
    // Open again: skipped, with no call to the upstream.
    await expectSkipped();
    expect(primaryCalls()).toBe(before + 1);
  });
});

/**
 * `breaker.openMs` at its smallest (the config accepts 100 ms): the circuit is open too briefly
 * to meet a request, but a probe slower than the cool-down is still the only call let through.
 */
describe('half-open circuit, end to end (the smallest cool-down)', () => {
  stackWith(MIN_OPEN_MS);

  it('a probe slower than the cool-down is still the only one', async () => {
    await recoverWithOneProbe(MIN_OPEN_MS, await breakPrimary());
  });
});
