import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EncryptionCodec, parsePayloadKeys } from '../../shared/platform/payload-codec';
import { CALLER_NAMESPACE } from '../../temporal/nexus-endpoint';
import { freePort } from '../support/free-port';
import type { classifyThroughKeel } from '../support/nexus-caller-workflows';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';

/**
 * What docs/nexus.md promises a newcomer: after `npm start`, a workflow in the `callers`
 * namespace calls Keel through the `keel` endpoint and gets the demo tenant's answer. The
 * caller's worker reads the (encrypted by default) result with Keel's codec and key file.
 */
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-nexus-start-'));
const started: RunningProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => stop(p, 'SIGTERM')));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start and Nexus', () => {
  it('creates the `keel` endpoint and the `callers` namespace; a caller workflow there gets an answer', async () => {
    const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KEEL_DATA_DIR: dataDir,
      PORT: String(ports.api),
      KEEL_TEMPORAL_PORT: String(ports.temporal),
      KEEL_TEMPORAL_UI_PORT: String(ports.ui),
      TEMPORAL_CLI_PATH: inject('temporalCliPath'),
    };
    delete env.TEMPORAL_ADDRESS;
    delete env.KEEL_DEMO_API_KEY;
    delete env.KEEL_NEXUS_ENDPOINTS;
    const keel = startTs('temporal/start-all.ts', env);
    started.push(keel);
    await waitFor('"Keel is running"', () => keel.output().includes('Keel is running'), {
      timeoutMs: 120_000,
      process: keel,
    });
    expect(keel.output()).toContain('Nexus endpoint keel created (tenant demo)');

    const codec = new EncryptionCodec(
      parsePayloadKeys(readFileSync(path.join(dataDir, 'payload-keys'), 'utf8')),
    );
    const address = `127.0.0.1:${ports.temporal}`;
    const native = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    const taskQueue = `callers-${randomUUID()}`;
    const worker = await Worker.create({
      connection: native,
      namespace: CALLER_NAMESPACE,
      taskQueue,
      workflowsPath: path.join(__dirname, '../support/nexus-caller-workflows.ts'),
      dataConverter: { payloadCodecs: [codec] },
    });
    const client = new Client({
      connection,
      namespace: CALLER_NAMESPACE,
      dataConverter: { payloadCodecs: [codec] },
    });
    try {
      const result = await worker.runUntil(
        client.workflow.execute<typeof classifyThroughKeel>('classifyThroughKeel', {
          taskQueue,
          workflowId: `classify-${randomUUID()}`,
          args: [
            {
              endpoint: 'keel',
              input: { subject: 'Refund', body: 'I was charged twice for my subscription' },
            },
          ],
        }),
      );
      expect(result.output.category).toBe('BILLING');
      // The job is the demo tenant's: its key reads it over HTTP.
      const key = /Demo API key (\S+)/.exec(keel.output())?.[1];
      const job = await fetch(`http://127.0.0.1:${ports.api}/v1/jobs/${result.jobId}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(job.status).toBe(200);
      expect(await job.json()).toMatchObject({ status: 'completed', output: result.output });
    } finally {
      await connection.close();
      await native.close();
    }
    expect(await stop(keel, 'SIGTERM')).toBe(0);
  });
});
