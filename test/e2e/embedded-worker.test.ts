import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { freePort } from '../support/free-port';
import { workerIdentity } from '../support/pollers';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';

/**
 * KEEL_EMBEDDED_WORKER=true: one process serves the API and runs the worker on the same native
 * connection, starting workflows eagerly. No worker process runs here, so everything that
 * completes was executed inside the API process.
 */
let server: RunningProcess;
let base: string;
let dataDir: string;
const apiKey = `test_${randomUUID()}`;

beforeAll(async () => {
  const port = await freePort();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-embedded-'));
  server = startTs('server/main.ts', {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    KEEL_TASK_QUEUE: `embedded-${randomUUID()}`,
    KEEL_DEMO_TENANT: 'true',
    KEEL_DEMO_API_KEY: apiKey,
    KEEL_INPUT_KEY_SECRET: `test-input-key-${randomUUID()}`,
    KEEL_DATA_DIR: dataDir,
    KEEL_EMBEDDED_WORKER: 'true',
    PORT: String(port),
  });
  base = `http://127.0.0.1:${port}`;
  await waitFor(
    'API with its embedded worker ready',
    async () => (await fetch(`${base}/readyz`)).ok,
    {
      timeoutMs: 90_000,
      process: server,
    },
  );
});
afterAll(async () => {
  if (server.child.exitCode === null) await stop(server);
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (input: unknown) =>
  fetch(`${base}/v1/tasks/classify-ticket`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input }),
  });

describe('API with an embedded worker', () => {
  it('runs tasks end to end with no worker process, and records them in Temporal', async () => {
    const res = await post({ subject: 'Refund', body: 'I was charged twice for my subscription' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.output.category).toBe('BILLING');
    expect(body.meta.path).toBe('primary');
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const handle = new Client({ connection }).workflow.getHandle(body.jobId);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      // Started eagerly: the server accepted the request to hand the first workflow task to the
      // starter's own worker in the start response, instead of dispatching it on the task queue.
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events[0]?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted).toBe(true);
      // And every workflow task ran in the API process.
      const taskRunners = events.flatMap(
        (e) => e.workflowTaskStartedEventAttributes?.identity ?? [],
      );
      expect(new Set(taskRunners)).toEqual(new Set([workerIdentity(server)]));
    } finally {
      await connection.close();
    }
  });

  it('answers a burst of concurrent tasks', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post({ subject: 'Crash', body: `error 500 #${i}` })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
  });

  it('stops cleanly on SIGTERM (worker drained, connection closed)', async () => {
    expect(await stop(server)).toBe(0);
  });
});
