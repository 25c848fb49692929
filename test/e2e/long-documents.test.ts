import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { quoteIsInDocument } from '../../shared/tasks/grounding';
import { summarizeGrounding } from '../../shared/tasks/summarize';
import { historyPayloadBytes } from '../support/big-answer';
import { operationsLog } from '../support/long-text';
import { waitFor } from '../support/processes';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startStack, upstreamEnv, type Stack } from '../support/stack';

/**
 * Long documents end to end (real API and worker processes, the suite's Temporal dev server, the
 * local model): a ~300,000-character summarize request runs as chunk → map → reduce under one
 * job id, each chunk a child job of its own, and the summary is grounded in the source.
 */
let stack: Stack;
let mock: MockUpstream;
let raw: Client;
let rawConnection: Connection;

beforeAll(async () => {
  // 2,000,001 characters of JSON take more than the default 1 MiB body.
  mock = await startMockUpstream({ port: 0 });
  stack = await startStack({
    ...upstreamEnv(mock.url),
    KEEL_MAX_BODY_BYTES: String(4 * 1024 * 1024),
  });
  rawConnection = await Connection.connect({ address: inject('temporalAddress') });
  raw = new Client({ connection: rawConnection });
}, 120_000);
afterAll(async () => {
  await rawConnection?.close();
  await stack?.stop();
  await mock?.close();
});

interface JobBody {
  jobId: string;
  status: string;
  output?: { summary: string; keyPoints: string[] };
  meta?: {
    path: string;
    costUsd: number;
    attempts: number;
    tokens: { input: number; output: number };
    validation: { grounding: { status: string } };
    longDocument?: {
      chunks: number;
      mapCalls: number;
      rounds: number;
      children: Array<{ jobId: string; step: string; path: string; costUsd: number }>;
    };
  };
  steps?: Array<{ name: string; outcome: string }>;
  errors?: Array<{ field: string; message: string }>;
}

const getJob = async (id: string): Promise<JobBody> =>
  (await (await stack.call(`/v1/jobs/${id}`)).json()) as JobBody;

describe('summarize over a document past the single-call limit', () => {
  it('a ~300,000-character text: one job, chunked, each chunk a child job, a grounded summary', async () => {
    const text = operationsLog(300_000);
    expect(text.length).toBeGreaterThan(300_000);
    const started = Date.now();
    const res = await stack.call('/v1/tasks/summarize', {
      method: 'POST',
      body: JSON.stringify({
        input: { text, maxWords: 80 },
        options: { route: ['local:keel-local-1'], maxSyncMs: 0 },
      }),
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    expect(jobId).toMatch(/^summarize-[0-9a-f-]{36}$/);

    let job: JobBody = { jobId, status: 'running' };
    await waitFor(
      'the long job ends',
      async () => {
        job = await getJob(jobId);
        return job.status !== 'running';
      },
      { timeoutMs: 120_000 },
    );
    console.log(`long document: ${text.length} chars summarised in ${Date.now() - started} ms`);
    expect(job.status).toBe('completed');
    expect(job.steps?.map((s) => s.name)).toEqual(['chunk', 'map', 'reduce', 'ground', 'record']);

    const long = job.meta!.longDocument!;
    // 80,000-character chunks with 1,000 repeated: four for ~300,000 characters.
    expect(long.chunks).toBe(4);
    expect(long.mapCalls).toBe(4);
    expect(long.rounds).toBe(1);
    expect(long.children.map((c) => c.step)).toEqual(['map', 'map', 'map', 'map', 'reduce']);

    // Each child is a job of its own, under this one, and the caller can read it.
    let tokens = 0;
    let attempts = 0;
    for (const child of long.children) {
      const desc = await raw.workflow.getHandle(child.jobId).describe();
      expect(desc.type).toBe('runTask');
      expect(desc.parentExecution?.workflowId).toBe(jobId);
      const read = await getJob(child.jobId);
      expect(read.status).toBe('completed');
      expect(read.meta?.validation.grounding.status).toBe('passed');
      tokens += read.meta!.tokens.input;
      attempts += read.meta!.attempts;
    }
    // Totals are the children's sums.
    expect(job.meta!.tokens.input).toBe(tokens);
    expect(job.meta!.attempts).toBe(attempts);
    expect(job.meta!.costUsd).toBe(long.children.reduce((t, c) => t + c.costUsd, 0));

    // The summary is grounded in the whole source: every claim, and (extractive local model)
    // every sentence, is in it; it spans the document, not only its first chunk.
    const output = job.output!;
    expect(job.meta!.validation.grounding.status).toBe('passed');
    expect(summarizeGrounding(output, { text, maxWords: 80 })).toEqual([]);
    const sentences = output.summary.split(/(?<=\.)\s+/).filter((s) => s.length > 0);
    for (const s of sentences) expect(quoteIsInDocument(s, text)).toBe(true);
    expect(output.summary.split(/\s+/).length).toBeLessThanOrEqual(80);

    // The text is kept out of the parent's history by the claim check: payloads over 16 KiB
    // (the source, the chunk list, most chunks) are references; a last short chunk stays inline.
    const history = await raw.workflow.getHandle(jobId).fetchHistory();
    expect(historyPayloadBytes(history.events).bytes).toBeLessThan(text.length / 3);
  }, 180_000);

  it('a model that invents claims: every chunk answer is checked and refused, the summary holds none of its claims, costs add up', async () => {
    const text = operationsLog(150_000);
    const res = await stack.call('/v1/tasks/summarize', {
      method: 'POST',
      body: JSON.stringify({
        input: { text, maxWords: 60 },
        options: { route: ['openai:fabricated-citation', 'local:keel-local-1'], maxSyncMs: 0 },
      }),
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    let job: JobBody = { jobId, status: 'running' };
    await waitFor(
      'the long job ends',
      async () => {
        job = await getJob(jobId);
        return job.status !== 'running';
      },
      { timeoutMs: 120_000 },
    );
    expect(job.status).toBe('completed');
    const long = job.meta!.longDocument!;
    expect(long.chunks).toBe(2);
    for (const child of long.children.filter((c) => c.step === 'map')) {
      const read = (await (await stack.call(`/v1/jobs/${child.jobId}`)).json()) as {
        meta: { validation: { rejected: Array<{ layer: string }> } };
      };
      // Its chunk's answer was refused (over the word budget, a claim not in the chunk) first.
      expect(read.meta.validation.rejected.length).toBeGreaterThan(0);
    }
    // The job's path is the least trusted of its children's.
    const paths = long.children.map((c) => c.path);
    expect(job.meta!.path).toBe(paths.includes('fallback') ? 'fallback' : 'primary');
    // The refused calls were billed: the job's cost is the children's, and not nothing.
    const sum = long.children.reduce((t, c) => t + c.costUsd, 0);
    expect(sum).toBeGreaterThan(0);
    expect(job.meta!.costUsd).toBeCloseTo(sum, 9);
    expect(summarizeGrounding(job.output!, { text, maxWords: 60 })).toEqual([]);
    expect(JSON.stringify(job.output)).not.toMatch(/Revenue grew|CEO/);
  }, 180_000);

  it('at most 4 chunks at once; cancelling the job cancels its running children and starts no more', async () => {
    // ~1,000,000 characters: 13 chunks. The model never answers, so the first 4 stay running.
    const res = await stack.call('/v1/tasks/summarize', {
      method: 'POST',
      body: JSON.stringify({
        input: { text: operationsLog(1_000_000) },
        options: { route: ['openai:hang'], maxSyncMs: 0 },
      }),
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    // Its children, as Temporal lists them.
    const children = async () => {
      const out: Array<{ id: string; status: string }> = [];
      for await (const wf of raw.workflow.list({ query: `ParentWorkflowId = '${jobId}'` }))
        out.push({ id: wf.workflowId, status: wf.status.name });
      return out;
    };
    let seen: Array<{ id: string; status: string }> = [];
    await waitFor('four children running', async () => (seen = await children()).length >= 4, {
      timeoutMs: 60_000,
    });
    expect(seen.length).toBe(4);

    const cancel = await stack.call(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
    expect([200, 202]).toContain(cancel.status);
    let job: JobBody = { jobId, status: 'running' };
    await waitFor(
      'the job ends',
      async () => {
        job = await getJob(jobId);
        return job.status !== 'running';
      },
      { timeoutMs: 60_000 },
    );
    expect(job.status).toBe('cancelled');
    await waitFor(
      'every child closed',
      async () => (seen = await children()).every((c) => c.status !== 'RUNNING'),
      { timeoutMs: 30_000 },
    );
    expect(seen.map((c) => c.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED']);
  }, 120_000);

  it('a text over 2,000,000 characters is a 400 naming input.text; nothing starts', async () => {
    const res = await stack.call('/v1/tasks/summarize', {
      method: 'POST',
      body: JSON.stringify({ input: { text: 'a '.repeat(1_000_001) } }),
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as JobBody;
    expect(problem.errors?.map((e) => e.field)).toEqual(['input.text']);
    expect(problem.errors?.[0]?.message).toMatch(/2000000/);
  });
});
