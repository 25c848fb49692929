import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitForWorkerPolling } from '../support/pollers';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';
import { MOCK_UPSTREAM_CONFIG, startStack, type Stack } from '../support/stack';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';

/**
 * The reviewer's API over HTTP with the real worker and server: 202 awaiting_review, the queue
 * per tenant, an item's detail with the input masked, decisions (422 on an invalid edit, 409 on a
 * second), roles, a worker restart while waiting, and a deadline that passes.
 */
const KEYS = {
  acmeReviewer: 'acme_reviewer_key_0123456789',
  acmeCaller: 'acme_caller_key_0123456789',
  globexReviewer: 'globex_reviewer_key_0123456789',
};
const sha = (k: string): string => createHash('sha256').update(k).digest('hex');

let mock: MockUpstream;
let stack: Stack;
const extra: RunningProcess[] = [];

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-reviews-'));
  const config = path.join(dir, 'keel.json');
  const base = JSON.parse(readFileSync(MOCK_UPSTREAM_CONFIG, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    config,
    JSON.stringify({
      ...base,
      tenants: [
        {
          id: 'acme',
          keys: [
            { name: 'alice', sha256: sha(KEYS.acmeReviewer), roles: ['reviewer'] },
            { name: 'acme-app', sha256: sha(KEYS.acmeCaller), roles: ['caller'] },
          ],
        },
        {
          id: 'globex',
          keys: [{ name: 'gabe', sha256: sha(KEYS.globexReviewer), roles: ['caller', 'reviewer'] }],
        },
      ],
      policies: {
        tenants: {
          globex: { review: { deadlineMs: 1_500, escalationDeadlineMs: 0, onExpiry: 'degrade' } },
        },
      },
    }),
  );
  stack = await startStack({ KEEL_CONFIG: config });
});
afterAll(async () => {
  await Promise.all(extra.map((p) => stop(p)));
  await stack?.stop();
  await mock?.close();
});

const as =
  (key: string) =>
  (p: string, init: RequestInit = {}) =>
    stack.call(p, {
      ...init,
      auth: false,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
const demo = (p: string, init: RequestInit = {}) => stack.call(p, init);

async function submit(call = demo, body = 'I was charged twice. Reach me at kim.ode@example.net') {
  const res = await call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({ input: { subject: 'Refund', body }, options: { review: 'always' } }),
  });
  const json = (await res.json()) as { jobId: string; status: string };
  return { res, ...json };
}

async function job(id: string, call = demo): Promise<any> {
  return (await call(`/v1/jobs/${id}`)).json();
}

describe('reviews API', () => {
  it('options.review always answers 202 awaiting_review at once; the item is queued, detailed, and approved', async () => {
    const { res, jobId, status } = await submit();
    expect(res.status).toBe(202);
    expect(status).toBe('awaiting_review');
    expect(res.headers.get('location')).toBe(`/v1/jobs/${jobId}`);
    expect((await job(jobId)).status).toBe('awaiting_review');

    const list = (await (await demo('/v1/reviews?task=classify-ticket')).json()) as any;
    const entry = list.items.find((i: any) => i.jobId === jobId);
    expect(entry).toMatchObject({
      task: 'classify-ticket',
      reasons: ['requested by the caller (options.review)'],
      group: 'reviewers',
    });
    expect(entry.ageMs).toBeGreaterThanOrEqual(0);

    const item = (await (await demo(`/v1/reviews/${jobId}`)).json()) as any;
    expect(item.proposed).toMatchObject({ category: 'BILLING' });
    expect(JSON.stringify(item.input)).toContain('[EMAIL]');
    expect(JSON.stringify(item.input)).not.toContain('kim.ode@example.net');

    const decided = await demo(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'approve', comment: 'fine' }),
    });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ decision: 'approve', reviewer: 'demo' });
    await waitFor('completed', async () => (await job(jobId)).status === 'completed', {
      timeoutMs: 15_000,
    });
    const after = (await (await demo('/v1/reviews')).json()) as any;
    expect(after.items.map((i: any) => i.jobId)).not.toContain(jobId);
    const done = await job(jobId);
    expect(done.meta).toMatchObject({
      path: 'review',
      review: { decision: 'approve', reviewer: 'demo', comment: 'fine' },
    });
    // The decision is in the tenant's audit trail, and so is the job's end with its review path
    // (in either order: the API records the decision as the workflow goes on to complete).
    const audit = (await (await demo(`/v1/audit?jobId=${jobId}`)).json()) as any;
    const byAction = Object.fromEntries(audit.items.map((r: any) => [r.action, r]));
    expect(Object.keys(byAction).sort()).toEqual(['job.completed', 'review.decided']);
    expect(byAction['review.decided']).toMatchObject({
      tenant: 'demo',
      detail: { decision: 'approve', group: 'reviewers', changedFields: [] },
    });
    expect(byAction['job.completed'].detail).toMatchObject({
      path: 'review',
      review: { decision: 'approve' },
    });
    expect(JSON.stringify(audit)).not.toContain('kim.ode');

    const again = await demo(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ type: expect.stringContaining('already-decided') });
  });

  it('an invalid edit is a 422 naming the field, and the task keeps waiting; a valid edit completes it', async () => {
    const { jobId } = await submit();
    const item = (await (await demo(`/v1/reviews/${jobId}`)).json()) as any;
    const bad = await demo(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'edit', output: { ...item.proposed, confidence: 7 } }),
    });
    expect(bad.status).toBe(422);
    const problem = (await bad.json()) as any;
    expect(problem.errors).toMatchObject([{ field: 'output.confidence' }]);
    expect((await job(jobId)).status).toBe('awaiting_review');

    const malformed = await demo(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'edit' }),
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).errors).toMatchObject([{ field: 'output' }]);

    const ok = await demo(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'edit', output: { ...item.proposed, category: 'ACCOUNT' } }),
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).changes).toEqual([
      { path: 'category', before: 'BILLING', after: 'ACCOUNT' },
    ]);
    await waitFor('completed', async () => (await job(jobId)).status === 'completed', {
      timeoutMs: 15_000,
    });
    expect((await job(jobId)).output.category).toBe('ACCOUNT');
  });

  it('a reject fails the job with a 422 problem that names the reviewer', async () => {
    const { jobId } = await submit();
    await demo(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'reject', comment: 'not a refund case' }),
    });
    await waitFor('failed', async () => (await job(jobId)).status === 'failed', {
      timeoutMs: 15_000,
    });
    expect((await job(jobId)).error).toMatchObject({
      status: 422,
      reviewer: 'demo',
      comment: 'not a refund case',
    });
  });

  it('each tenant sees only its own queue; a caller key cannot review', async () => {
    const { jobId } = await submit(as(KEYS.acmeCaller));
    const acme = (await (await as(KEYS.acmeReviewer)('/v1/reviews')).json()) as any;
    expect(acme.items.map((i: any) => i.jobId)).toContain(jobId);
    const globex = (await (await as(KEYS.globexReviewer)('/v1/reviews')).json()) as any;
    expect(globex.items.map((i: any) => i.jobId)).not.toContain(jobId);
    expect((await as(KEYS.globexReviewer)(`/v1/reviews/${jobId}`)).status).toBe(404);
    const foreign = await as(KEYS.globexReviewer)(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(foreign.status).toBe(404);
    expect((await as(KEYS.acmeCaller)('/v1/reviews')).status).toBe(403);
    // The acme reviewer decides: the audit names the key's owner.
    const ok = await as(KEYS.acmeReviewer)(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(await ok.json()).toMatchObject({ reviewer: 'alice' });
  });

  it('a worker restart while waiting loses nothing', async () => {
    const { jobId } = await submit();
    stack.worker.child.kill('SIGKILL');
    await stack.worker.exited;
    const next = startTs('worker/main.ts', stack.env);
    extra.push(next);
    // Not /readyz: Temporal keeps listing the killed worker's pollers for minutes.
    await waitForWorkerPolling(next, inject('temporalAddress'), stack.taskQueue);
    const decided = await demo(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(decided.status).toBe(200);
    await waitFor('completed', async () => (await job(jobId)).status === 'completed', {
      timeoutMs: 20_000,
    });
    expect((await job(jobId)).meta.path).toBe('review');
    // A new worker bundles the workflows before it polls: more than the default test timeout.
  }, 120_000);

  it('when the deadline passes, the policy decides (globex: degrade to the proposed answer)', async () => {
    const { jobId, status } = await submit(as(KEYS.globexReviewer), 'Charged twice');
    expect(status).toBe('awaiting_review');
    await waitFor(
      'completed',
      async () => (await job(jobId, as(KEYS.globexReviewer))).status === 'completed',
      {
        timeoutMs: 20_000,
      },
    );
    const done = await job(jobId, as(KEYS.globexReviewer));
    expect(done.meta.path).toBe('degraded');
    expect(done.meta.reasons.join('\n')).toMatch(/review deadline passed/);
  });
});
