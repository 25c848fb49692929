import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS, startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * One end-to-end test per upstream scenario, through the HTTP API with the real OpenAI SDK:
 * what the caller gets, and what the upstream saw (how many calls, how far apart).
 */
let mock: MockUpstream;
let stack: Stack;
const cost: Array<{ scenario: string; calls: number; billedTokens: number; path: string }> = [];

beforeAll(async () => {
  mock = await startMockUpstream({
    port: 0,
    ttftMs: 500,
    slow: { medianMs: 300, p99Ms: 800 },
    flapPeriodMs: 3_600_000,
  });
  stack = await startStack(upstreamEnv(mock.url));
});
afterAll(async () => {
  // The figures the closing note reports: upstream calls and billed tokens per fault.
  console.log(
    [
      'scenario | upstream calls | billed tokens | path',
      ...cost
        .sort((a, b) => a.scenario.localeCompare(b.scenario))
        .map((c) => `${c.scenario} | ${c.calls} | ${c.billedTokens} | ${c.path}`),
    ].join('\n'),
  );
  await stack?.stop();
  await mock?.close();
});

type Path = 'primary' | 'degraded';
/** [path, upstream calls, minimum spacing between the two calls in ms] */
const EXPECT: Record<string, [Path, number, number?]> = {
  ok: ['primary', 1],
  slow: ['primary', 1],
  'slow-ttft': ['primary', 1],
  'no-done': ['primary', 1],
  'fenced-json': ['primary', 1],
  // Confidence below the tenant minimum: the rule's action is `next`, and there is no next.
  'rule-violation': ['degraded', 1],
  // Grounding, schema and moderation failures re-ask once; the mock model then corrects itself.
  'fabricated-citation': ['primary', 2],
  'toxic-output': ['primary', 2],
  'invalid-json': ['primary', 2],
  truncated: ['primary', 2],
  // PII the input did not have is masked in place (the default output policy): no re-ask.
  'pii-output': ['primary', 1],
  // A promise the input does not make: no deterministic layer sees it (the verifier does).
  unfaithful: ['primary', 1],
  '500-once': ['primary', 2],
  '401': ['degraded', 1],
  '400-context': ['degraded', 1],
  'content-filter': ['degraded', 1],
  '429-retry-after': ['degraded', 2, 2_000],
  '429-retry-after-ms': ['degraded', 2, 1_500],
  '429-http-date': ['degraded', 2, 1_000],
  '429-bare': ['degraded', 2], // no Retry-After: a jittered backoff of up to 250 ms
  '503': ['degraded', 2],
  '529': ['degraded', 2],
  flap: ['degraded', 2], // the first half of a one-hour period is down
  reset: ['degraded', 2],
  'stream-cut': ['degraded', 2],
  'malformed-chunk': ['degraded', 2],
  hang: ['degraded', 2],
  'stream-stall': ['degraded', 2],
  // A body that starts at once, then crawls (20 s) or stops half-way: cut at the call's deadline.
  trickle: ['degraded', 2],
  'stall-midway': ['degraded', 2],
  // A task offers no tools: the scenario answers as `ok`.
  'tool-call': ['primary', 1],
  // Their first 50 calls answer as ok (test/mock-upstream/drift.ts; docs/drift.md for the rest).
  'drift-refusals': ['primary', 1],
  'drift-longer': ['primary', 1],
  'drift-categories': ['primary', 1],
  'drift-unfaithful': ['primary', 1],
};

describe('every upstream scenario through the HTTP API (openai)', () => {
  it('has an expectation for every scenario', () => {
    expect(SCENARIOS.map((s) => s.name).filter((n) => !EXPECT[n])).toEqual([]);
  });

  it.concurrent.each(SCENARIOS.map((s) => s.name))('%s', async (scenario) => {
    const [path, calls, spacing] = EXPECT[scenario]!;
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({
        input: { subject: 'Refund', body: `I was charged twice (${scenario})` },
        options: { route: [`openai:${scenario}`] },
      }),
    });
    let job = (await res.json()) as any;
    if (res.status === 202) {
      // Only a call that outlives the sync budget (hang, stall) answers 202; the job goes on.
      expect(['hang', 'stream-stall', 'trickle', 'stall-midway']).toContain(scenario);
      await waitFor(
        `${scenario} completed`,
        async () => {
          job = await (await stack.call(`/v1/jobs/${job.jobId}`)).json();
          return job.status === 'completed';
        },
        { timeoutMs: 40_000 },
      );
    } else expect(res.status).toBe(200);

    expect(job.meta.path).toBe(path);
    expect(['BILLING', 'TECHNICAL', 'ACCOUNT', 'OTHER']).toContain(job.output.category);
    const seen = mock.attempts().filter((a) => a.model === scenario);
    expect(seen).toHaveLength(calls);
    if (spacing)
      expect(Date.parse(seen[1]!.at) - Date.parse(seen[0]!.at)).toBeGreaterThanOrEqual(spacing);
    if (path === 'degraded')
      expect(job.meta.reasons[0]).toMatch(new RegExp(`^openai:${scenario} `));
    cost.push({
      scenario,
      calls: seen.length,
      billedTokens: seen
        .filter((a) => a.billed)
        .reduce((n, a) => n + a.inputTokens + a.outputTokens, 0),
      path,
    });
  });
});
