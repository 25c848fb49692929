/** The mock's own contract: control endpoints, attempt log, clocks, latency knobs and shutdown. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/index';
import { startMockUpstream } from '../mock-upstream/index';
import { lognormalMs, seededRandom } from '../mock-upstream/scenarios';
import {
  TICKET_PROMPT,
  anthropic,
  anthropicParams,
  openai,
  openaiParams,
  rejection,
} from './helpers';

const REQUIRED = [
  'ok',
  'slow',
  '429-retry-after',
  '429-retry-after-ms',
  '429-http-date',
  '429-bare',
  '500-once',
  '503',
  '529',
  '401',
  'reset',
  'hang',
  'slow-ttft',
  'stream-cut',
  'stream-stall',
  'malformed-chunk',
  'no-done',
  '400-context',
  'content-filter',
  'invalid-json',
  'fenced-json',
  'truncated',
  'rule-violation',
  'fabricated-citation',
  'pii-output',
  'toxic-output',
  'unfaithful',
  'flap',
  'trickle',
  'stall-midway',
  'tool-call',
  'drift-refusals',
  'drift-longer',
  'drift-categories',
  'drift-unfaithful',
];

let mock: MockUpstream;

/** Response bodies are read loosely: the assertions are the type checks. */
async function json(response: Response | Promise<Response>): Promise<any> {
  return (await response).json();
}

beforeAll(async () => {
  mock = await startMockUpstream({ slow: { medianMs: 20, p99Ms: 60 }, seed: 1 });
});
afterAll(() => mock.close());

describe('control endpoints', () => {
  it('GET /_mock/scenarios lists every scenario with a description', async () => {
    const body = await json(fetch(`${mock.url}/_mock/scenarios`));
    expect(body.scenarios.map((s: { name: string }) => s.name).sort()).toEqual(
      [...REQUIRED].sort(),
    );
    for (const s of body.scenarios) expect(s.description.length).toBeGreaterThan(10);
  });

  it('GET /_mock/attempts records each request; DELETE clears it', async () => {
    await fetch(`${mock.url}/_mock/attempts`, { method: 'DELETE' });
    await openai(mock.url).chat.completions.create(openaiParams('ok'));
    await rejection(anthropic(mock.url).messages.create(anthropicParams('429-bare')));
    const { attempts } = await json(fetch(`${mock.url}/_mock/attempts`));
    expect(attempts.map((a: any) => [a.api, a.scenario, a.status, a.billed])).toEqual([
      ['openai', 'ok', 200, true],
      ['anthropic', '429-bare', 429, false],
    ]);
    expect(attempts[1].request.messages[0].content).toBe(TICKET_PROMPT);
    expect(attempts[1].request.system).toBe(anthropicParams('x').system);
    expect(new Date(attempts[0].at).toISOString()).toBe(attempts[0].at);
    const cleared = await fetch(`${mock.url}/_mock/attempts`, { method: 'DELETE' });
    expect(cleared.status).toBe(204);
    expect(mock.attempts()).toEqual([]);
  });

  it('PUT /_mock/latency changes the base latency; bad values are refused', async () => {
    const put = (body: string): Promise<Response> =>
      fetch(`${mock.url}/_mock/latency`, { method: 'PUT', body });
    expect((await put('{"latencyMs": 120}')).status).toBe(200);
    const started = performance.now();
    await openai(mock.url).chat.completions.create(openaiParams('ok'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect((await put('{"latencyMs": -1}')).status).toBe(400);
    expect((await put('not json')).status).toBe(400);
    expect((await put('{"latencyMs": 0}')).status).toBe(200);
  });

  it('PUT /_mock/models/<model> serves a model as another scenario until DELETE', async () => {
    const url = `${mock.url}/_mock/models/ok`;
    const put = (body: string): Promise<Response> => fetch(url, { method: 'PUT', body });
    expect((await put('{"scenario": "no-such-scenario"}')).status).toBe(400);
    expect((await put('not json')).status).toBe(400);
    expect((await put('{"scenario": "503", "latencyMs": -1}')).status).toBe(400);
    expect(await json(put('{"scenario": "503", "latencyMs": 120}'))).toEqual({
      model: 'ok',
      scenario: '503',
      latencyMs: 120,
    });
    mock.clearAttempts();
    const started = performance.now();
    const failed = await rejection(openai(mock.url).chat.completions.create(openaiParams('ok')));
    expect(failed.status).toBe(503);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(204);
    await openai(mock.url).chat.completions.create(openaiParams('ok'));
    // In process: the same switch for tests that hold the mock.
    mock.serveAs('ok', '529');
    await rejection(anthropic(mock.url).messages.create(anthropicParams('ok')));
    mock.serveAs('ok', undefined);
    expect(mock.attempts().map((a) => [a.model, a.scenario, a.status])).toEqual([
      ['ok', '503', 503],
      ['ok', 'ok', 200],
      ['ok', '529', 529],
    ]);
  });

  it("invalid JSON bodies get each vendor's 400 invalid_request_error", async () => {
    const post = (path: string): Promise<Response> =>
      fetch(`${mock.url}${path}`, {
        method: 'POST',
        body: '{"model": "ok",',
        headers: { 'content-type': 'application/json' },
      });
    const a = await post('/v1/chat/completions');
    expect(a.status).toBe(400);
    expect((await json(a)).error.type).toBe('invalid_request_error');
    const b = await post('/v1/messages');
    expect(b.status).toBe(400);
    expect(await b.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
    expect(
      mock
        .attempts()
        .slice(-2)
        .map((x) => [x.scenario, x.status]),
    ).toEqual([
      ['invalid-request', 400],
      ['invalid-request', 400],
    ]);
  });

  it('unknown routes are 404', async () => {
    expect(
      (await fetch(`${mock.url}/chat/completions`, { method: 'POST', body: '{}' })).status,
    ).toBe(404);
  });
});

describe('time', () => {
  it('flap follows an injected clock: down in the first half of each period', async () => {
    let now = 1_000_000;
    const clocked = await startMockUpstream({ flapPeriodMs: 1_000, now: () => now });
    try {
      const statuses: number[] = [];
      for (const offset of [0, 400, 500, 900, 1_000, 1_600]) {
        now = 1_000_000 + offset;
        const res = await fetch(`${clocked.url}/v1/chat/completions`, {
          method: 'POST',
          body: JSON.stringify(openaiParams('flap')),
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([503, 503, 200, 200, 503, 200]);
    } finally {
      await clocked.close();
    }
  });

  it('flap with the real clock yields both outcomes within a few periods', async () => {
    const flappy = await startMockUpstream({ flapPeriodMs: 100 });
    const seen = new Set<number>();
    try {
      for (let i = 0; i < 40 && seen.size < 2; i++) {
        const res = await fetch(`${flappy.url}/v1/messages`, {
          method: 'POST',
          body: JSON.stringify(anthropicParams('flap')),
        });
        seen.add(res.status);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await flappy.close();
    }
    expect([...seen].sort()).toEqual([200, 503]);
  });

  it('slow latency is lognormal with the configured median/p99, and seeded', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const samples = Array.from({ length: 4_000 }, () => lognormalMs(a, 1_500, 4_000));
    expect(samples.slice(0, 5)).toEqual(
      Array.from({ length: 5 }, () => lognormalMs(b, 1_500, 4_000)),
    );
    const sorted = [...samples].sort((x, y) => x - y);
    expect(sorted[2_000]).toBeGreaterThan(1_350);
    expect(sorted[2_000]).toBeLessThan(1_650);
    expect(sorted[3_960]).toBeGreaterThan(3_200);
    expect(sorted[3_960]).toBeLessThan(5_000);
  });

  it('slow still answers; x-mock-latency-ms delays any response', async () => {
    const slow = await openai(mock.url).chat.completions.create(openaiParams('slow'));
    expect(slow.choices[0]?.finish_reason).toBe('stop');
    const started = performance.now();
    await openai(mock.url).chat.completions.create(openaiParams('ok'), {
      headers: { 'x-mock-latency-ms': '250' },
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(245);
  });

  it('options.latencyMs delays every response, errors included', async () => {
    const lagging = await startMockUpstream({ latencyMs: 200 });
    try {
      const started = performance.now();
      await rejection(openai(lagging.url).chat.completions.create(openaiParams('503')));
      expect(performance.now() - started).toBeGreaterThanOrEqual(195);
      expect(lagging.attempts()[0]?.latencyMs).toBeGreaterThanOrEqual(195);
    } finally {
      await lagging.close();
    }
  });
});

describe('close()', () => {
  it('ends hanging and stalled exchanges instead of waiting for them', async () => {
    const doomed = await startMockUpstream();
    const hang = rejection(
      fetch(`${doomed.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify(openaiParams('hang')),
      }),
    );
    const stalled = await fetch(`${doomed.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({ ...anthropicParams('stream-stall'), stream: true }),
    });
    const body = rejection(stalled.text());
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await doomed.close();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await hang).toBeInstanceOf(TypeError);
    expect(await body).toBeInstanceOf(TypeError);
    expect(doomed.attempts().map((a) => [a.scenario, a.status])).toEqual([
      ['hang', 0],
      ['stream-stall', 200],
    ]);
  });
});
