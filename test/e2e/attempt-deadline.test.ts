import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { waitFor } from '../support/processes';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * Deadline budget across candidates, end to end: the first candidate's body starts at once and
 * then crawls (`trickle`, 20 s) or stops half-way (`stall-midway`). Its attempts end at their
 * deadline, so the next candidate still answers within the sync envelope: the caller gets a 200
 * (not a 202) with a valid answer, and `meta.reasons` names the first candidate's timeout.
 * Needs the workflow to pass `deadlineAt` (its share of the envelope) to callModel: with the
 * candidate's timeout alone (5 × fastMs, twice) the first candidate outlasts maxSyncMs.
 */
let mock: MockUpstream;
let stack: Stack;

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startStack(upstreamEnv(mock.url));
});
beforeEach(() => mock.clearAttempts());
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

describe('a body that starts and then crawls or stalls does not use up the envelope', () => {
  it.each(['trickle', 'stall-midway'])(
    'openai:%s then openai:ok: a 200 from the second candidate',
    async (scenario) => {
      const res = await stack.call('/v1/tasks/classify-ticket', {
        method: 'POST',
        body: JSON.stringify({
          input: { subject: 'Refund', body: `I was charged twice (${scenario})` },
          options: { route: [`openai:${scenario}`, 'openai:ok'] },
        }),
      });
      // 200, not 202: answered within the task's maxSyncMs.
      expect(res.status).toBe(200);
      const job = (await res.json()) as any;
      expect(job.meta.path).toBe('fallback');
      expect(job.meta.provider).toBe('openai');
      expect(job.meta.model).toBe('ok');
      expect(job.output.category).toBe('BILLING');
      expect(job.meta.reasons[0]).toMatch(new RegExp(`^openai:${scenario} Timeout`));

      // Each attempt on the first candidate got a 200 and its first bytes, then Keel hung up.
      const cut = () => mock.attempts().filter((a) => a.model === scenario);
      await waitFor(
        'the upstream to see every cut attempt end',
        () => cut().every((a) => a.closedBy),
        {
          timeoutMs: 5_000,
        },
      );
      expect(cut().length).toBeGreaterThan(0);
      for (const attempt of cut())
        expect(attempt).toMatchObject({ status: 200, closedBy: 'client' });
      expect(mock.attempts().filter((a) => a.model === 'ok')).toHaveLength(1);
    },
  );
});
