import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { quoteIsInDocument } from '../../shared/tasks/grounding';
import { NO_ANSWER } from '../../shared/tasks/local/answer-retrieval';
import { operationsLog } from '../support/long-text';
import { waitFor } from '../support/processes';
import { startStack, type Stack } from '../support/stack';

/**
 * `answer` over long documents end to end (real API and worker processes, the suite's Temporal
 * dev server, the local model): documents of ~300,000 characters in all run as pieces → child
 * answer jobs → one reduce job over the cited excerpts, the citations checked against the whole
 * documents.
 */
let stack: Stack;
let raw: Client;
let rawConnection: Connection;

beforeAll(async () => {
  // 2,000,001 characters of JSON take more than the default 1 MiB body.
  stack = await startStack({ KEEL_MAX_BODY_BYTES: String(4 * 1024 * 1024) });
  rawConnection = await Connection.connect({ address: inject('temporalAddress') });
  raw = new Client({ connection: rawConnection });
}, 120_000);
afterAll(async () => {
  await rawConnection?.close();
  await stack?.stop();
});

interface JobBody {
  jobId: string;
  status: string;
  output?: { answer: string; citations: Array<{ documentId: string; quote: string }> };
  meta?: {
    costUsd: number;
    tokens: { input: number };
    validation: { grounding: { status: string; detail?: string } };
    longDocument?: {
      chunks: number;
      mapCalls: number;
      rounds: number;
      abstained?: number;
      children: Array<{ jobId: string; step: string; path: string; costUsd: number }>;
    };
  };
  steps?: Array<{ name: string; outcome: string; detail?: string }>;
  errors?: Array<{ field: string; message: string }>;
}

const getJob = async (id: string): Promise<JobBody> =>
  (await (await stack.call(`/v1/jobs/${id}`)).json()) as JobBody;

/** Starts an answer job (async) and waits for its end. */
async function answerJob(input: unknown): Promise<JobBody> {
  const res = await stack.call('/v1/tasks/answer', {
    method: 'POST',
    body: JSON.stringify({ input, options: { route: ['local:keel-local-1'], maxSyncMs: 0 } }),
  });
  expect(res.status).toBe(202);
  const { jobId } = (await res.json()) as { jobId: string };
  expect(jobId).toMatch(/^answer-[0-9a-f-]{36}$/);
  let job: JobBody = { jobId, status: 'running' };
  await waitFor(
    'the long job ends',
    async () => {
      job = await getJob(jobId);
      return job.status !== 'running';
    },
    { timeoutMs: 120_000 },
  );
  return job;
}

const FACT =
  'The backup generator in the east annex holds enough diesel for 96 hours of operation.';

/** Three documents of ~100,000 characters; the fact sits 85,000 characters into the second. */
function documents(): Array<{ id: string; text: string }> {
  const log = operationsLog(100_000);
  return [
    { id: 'ops-2023', text: log },
    { id: 'facilities', text: `${log.slice(0, 85_000)}\n\n${FACT}\n\n${log.slice(85_000)}` },
    { id: 'ops-2024', text: operationsLog(101_000) },
  ];
}

describe('answer over documents past the single-call limit', () => {
  it('~300,000 characters in 3 documents: pieces mapped, one reduce, the citation verbatim in the document that holds the fact', async () => {
    const docs = documents();
    const total = docs.reduce((t, d) => t + d.text.length, 0);
    expect(total).toBeGreaterThan(300_000);
    const started = Date.now();
    const job = await answerJob({
      question: 'How many hours can the backup generator in the east annex run on its diesel?',
      documents: docs,
    });
    console.log(`long answer: ${total} chars answered in ${Date.now() - started} ms`);
    expect(job.status).toBe('completed');
    expect(job.steps?.map((s) => s.name)).toEqual(['chunk', 'map', 'reduce', 'ground', 'record']);

    // The answer cites the document holding the fact, word for word from the whole document.
    const output = job.output!;
    expect(output.answer).toMatch(/96 hours/);
    expect(output.citations.length).toBeGreaterThan(0);
    for (const c of output.citations) {
      expect(c.documentId).toBe('facilities');
      expect(quoteIsInDocument(c.quote, docs[1]!.text)).toBe(true);
    }
    expect(job.meta!.validation.grounding.status).toBe('passed');

    // 50,000-character pieces (1,000 repeated) of each document, packed into children of at
    // most 100,000 characters and one piece per document; the pieces without the fact abstain.
    const long = job.meta!.longDocument!;
    expect(long.chunks).toBe(9);
    expect(long.rounds).toBe(1);
    expect(long.mapCalls).toBeGreaterThanOrEqual(3);
    expect(long.mapCalls).toBeLessThan(long.chunks);
    expect(long.abstained).toBe(long.mapCalls - 1);
    expect(long.children.map((c) => c.step)).toEqual([
      ...Array<string>(long.mapCalls).fill('map'),
      'reduce',
    ]);
    let tokens = 0;
    for (const child of long.children) {
      const desc = await raw.workflow.getHandle(child.jobId).describe();
      expect(desc.type).toBe('runTask');
      expect(desc.parentExecution?.workflowId).toBe(job.jobId);
      const read = await getJob(child.jobId);
      expect(read.status).toBe('completed');
      expect(read.meta?.validation.grounding.status).toBe('passed');
      tokens += read.meta!.tokens.input;
    }
    expect(job.meta!.tokens.input).toBe(tokens);
    expect(job.meta!.costUsd).toBe(long.children.reduce((t, c) => t + c.costUsd, 0));
  }, 180_000);

  it('no piece answers: the job abstains with no reduce job, and says so in meta', async () => {
    const job = await answerJob({
      question: 'What colour is the lighthouse on Skerry Point?',
      documents: documents(),
    });
    expect(job.status).toBe('completed');
    expect(job.output).toEqual({ answer: NO_ANSWER, citations: [] });
    const long = job.meta!.longDocument!;
    expect(long.abstained).toBe(long.mapCalls);
    expect(long.children.every((c) => c.step === 'map')).toBe(true);
    expect(job.steps?.map((s) => s.name)).toEqual(['chunk', 'map', 'reduce', 'record']);
    expect(job.steps?.find((s) => s.name === 'reduce')?.detail).toMatch(/no reduce job/);
  }, 180_000);

  it('documents over 2,000,000 characters in all are a 400 naming input.documents; nothing starts', async () => {
    const text = 'word '.repeat(140_000);
    const res = await stack.call('/v1/tasks/answer', {
      method: 'POST',
      body: JSON.stringify({
        input: {
          question: 'Which word?',
          documents: Array.from({ length: 3 }, (_, i) => ({ id: `d${i}`, text })),
        },
      }),
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as JobBody;
    expect(problem.errors?.map((e) => e.field)).toEqual(['input.documents']);
    expect(problem.errors?.[0]?.message).toMatch(/2000000/);
  });
});
