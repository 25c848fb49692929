/**
 * Records the retention run's replay fixture (test/fixtures/histories/enforce-retention*.json):
 * its own dev server, the real retention activities on a fresh SQLite tenant store holding one
 * tenant kept one day and an expired debug sample, and one `enforceRetention` run as of a fixed
 * instant. After a patched() change, record the new branch beside the old file:
 *
 *   npx tsx test/support/record-retention-history.ts                         enforce-retention.json
 *   npx tsx test/support/record-retention-history.ts --suffix debug-samples-v1
 *   npx tsx test/support/record-retention-history.ts --suffix unowned-blobs-v1
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDebugSampleRetention } from '../../activities/lifecycle/prune-debug-samples';
import { createRetentionActivities } from '../../activities/lifecycle/enforce-retention';
import { createUnownedBlobRetention } from '../../activities/lifecycle/prune-unowned-blobs';
import { FileBlobStore } from '../../shared/platform/blob-store';
import { createLogger } from '../../shared/platform/logger';
import { installTemporalRuntime } from '../../shared/platform/temporal-connection';
import { TenantStore } from '../../shared/tenancy/store';
import { findTemporalCli } from '../../temporal/cli';
import { startDevServer } from '../../temporal/dev-server';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { WORKFLOWS_PATH } from '../../worker/keel-worker';
import { freePort } from './free-port';

const ROOT = path.resolve(__dirname, '../..');
const HISTORIES_DIR = path.join(ROOT, 'test/fixtures/histories');
const DAY_MS = 24 * 3600 * 1000;
const AS_OF = Date.UTC(2026, 11, 7);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { suffix: { type: 'string' } } });
  installTemporalRuntime({
    logger: createLogger({ name: 'record', level: 'error' }),
    level: 'error',
  });
  const cli = await findTemporalCli({
    dataDir: path.join(ROOT, '.keel'),
    searchPath: process.env.PATH,
    install: true,
    log: (line) => console.log(line),
  });
  console.log('dev server…');
  const server = await startDevServer({ cliPath: cli.path, port: await freePort() });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-record-retention-'));
  const store = await TenantStore.open({ sqlitePath: path.join(dir, 'keel.db') });
  const connection = await Connection.connect({ address: server.address });
  try {
    await ensureSearchAttributes(connection, 'default');
    const client = new Client({ connection });
    await store.createTenant(
      {
        id: 'fixture-tenant',
        name: 'fixture-tenant',
        planId: 'unlimited',
        status: 'active',
        overrides: { retentionDays: 1, debugSamples: { rate: 1, retentionDays: 1 } },
      },
      AS_OF - 3 * DAY_MS,
    );
    await store.debugSamples.record({
      tenantId: 'fixture-tenant',
      jobId: 'classify-ticket-fixture',
      task: 'classify-ticket',
      provider: 'local',
      model: 'keel-local-1',
      promptVersion: 'classify-ticket@1',
      outcome: 'ok',
      latencyMs: 5,
      inputTokens: 10,
      outputTokens: 5,
      at: AS_OF - 3 * DAY_MS,
      expiresAt: AS_OF - 2 * DAY_MS,
      messages: [{ role: 'user', content: 'Refund for order 1 from [EMAIL]' }],
      droppedMessages: 0,
      output: '{"category":"BILLING"}',
    });
    const taskQueue = `record-retention-${randomUUID()}`;
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: server.address }),
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: {
        ...createRetentionActivities({ client, namespace: 'default', store, now: Date.now }),
        ...createDebugSampleRetention({ store }),
        ...createUnownedBlobRetention({
          client,
          namespace: 'default',
          blobs: new FileBlobStore(path.join(dir, 'blobs')),
        }),
      },
    });
    console.log('worker ready');
    const workflowId = `enforce-retention-fixture-${randomUUID()}`;
    const history = await worker.runUntil(async () => {
      await client.workflow.execute('enforceRetention', {
        taskQueue,
        workflowId,
        args: [{ asOf: AS_OF }],
      });
      return client.workflow.getHandle(workflowId).fetchHistory();
    });
    const file = path.join(
      HISTORIES_DIR,
      `enforce-retention${values.suffix ? `-${values.suffix}` : ''}.json`,
    );
    writeFileSync(file, `${historyToJSON(history)}\n`);
    console.log(`wrote ${path.relative(ROOT, file)} (${history.events?.length} events)`);
  } finally {
    await connection.close();
    await store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
