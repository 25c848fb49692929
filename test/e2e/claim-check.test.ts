import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generatePayloadKey } from '../../shared/platform/payload-codec';
import { bigAnswerRequest, historyPayloadBytes } from '../support/big-answer';
import { waitFor } from '../support/processes';
import { startStack, type Stack } from '../support/stack';

/**
 * The claim check end to end: a ~1 MB `answer` request through the real API and a worker in
 * another process (the same data directory, as npm start has), with encryption on. Temporal
 * keeps references; the blob store keeps ciphertext; the caller, the job and the codec server
 * (what the Web UI shows) all see the real content.
 */
const MARKER = 'Quokka-5521 warranty terms';
let stack: Stack;
let raw: Client;
let rawConnection: Connection;

beforeAll(async () => {
  stack = await startStack({ KEEL_PAYLOAD_KEYS: generatePayloadKey() });
  rawConnection = await Connection.connect({ address: inject('temporalAddress') });
  raw = new Client({ connection: rawConnection });
}, 120_000);
afterAll(async () => {
  await rawConnection?.close();
  await stack?.stop();
});

const blobFiles = (): string[] => {
  const dir = path.join(stack.env.KEEL_DATA_DIR!, 'blobs');
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
};

describe('payloads over KEEL_CLAIM_CHECK_BYTES (16 KiB) go to the blob store', () => {
  it('a 1 MB answer request: answered, its history holds references of a few hundred bytes, the blobs hold ciphertext', async () => {
    const body = JSON.stringify({
      ...(bigAnswerRequest(MARKER) as object),
      options: { maxSyncMs: 0 },
    });
    expect(body.length).toBeGreaterThan(900_000);
    const res = await stack.call('/v1/tasks/answer', { method: 'POST', body });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    let job: any;
    await waitFor(
      'the job ends',
      async () => {
        job = await (await stack.call(`/v1/jobs/${jobId}`)).json();
        return job.status !== 'running';
      },
      { timeoutMs: 60_000 },
    );
    expect(job.status).toBe('completed');
    expect(job.output.answer).toMatch(/year/);

    const history = await raw.workflow.getHandle(jobId).fetchHistory();
    const stored = historyPayloadBytes(history.events);
    // The request alone is ~1 MB, and it runs as a long document: its child jobs' inputs (the
    // pieces, ~27 KB each once compressed) are references too. What the history keeps is small.
    expect(stored.bytes).toBeLessThan(64 * 1024);
    const start = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(start.metadata!.encoding!).toString()).toBe('keel/claim-check');
    expect(start.data!.byteLength).toBeLessThan(300);

    const blobs = blobFiles();
    expect(blobs.length).toBeGreaterThan(0);
    for (const f of blobs) expect(readFileSync(f).toString('latin1')).not.toContain('Quokka');

    // What the Web UI asks the codec server for: the reference decodes to the request.
    const payload = {
      metadata: Object.fromEntries(
        Object.entries(start.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(start.data!).toString('base64'),
    };
    const decoded = await stack.call('/codec/decode', {
      method: 'POST',
      body: JSON.stringify({ payloads: [payload] }),
    });
    expect(decoded.status).toBe(200);
    const text = Buffer.from(
      ((await decoded.json()) as { payloads: { data: string }[] }).payloads[0]!.data,
      'base64',
    ).toString();
    expect(text).toContain(MARKER);
  });

  it('a payload under the threshold stays in the history as it was (encrypted, no blob)', async () => {
    const before = blobFiles().length;
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({ input: { subject: 'Refund', body: 'I was charged twice.' } }),
    });
    expect(res.status).toBe(200);
    const { jobId } = (await res.json()) as { jobId: string };
    const history = await raw.workflow.getHandle(jobId).fetchHistory();
    const start = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(start.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(blobFiles().length).toBe(before);
  });
});
