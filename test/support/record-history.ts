/**
 * Records a replay fixture: runs classify-ticket through runTask on a dev server and saves the
 * history. Record a new file on each deliberate, versioned (patched) workflow change and keep
 * the old ones, so every path still in flight keeps replaying:
 *   npx tsx test/support/record-history.ts 127.0.0.1:7233 run-task-classify-ticket-<patch>.json
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createLogger } from '../../shared/runtime/logger';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import type { runTask } from '../../workflows';

async function main(): Promise<void> {
  const address = process.argv[2] ?? '127.0.0.1:7233';
  const taskQueue = `record-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  await ensureSearchAttributes(connection, 'default');
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities({ logger: createLogger({ name: 'record', level: 'silent' }) }),
  });
  const history = await worker.runUntil(async () => {
    const handle = await client.workflow.start<typeof runTask>('runTask', {
      taskQueue,
      workflowId: `classify-ticket-${randomUUID()}`,
      args: [
        {
          task: 'classify-ticket',
          tenantId: 'demo',
          requestId: 'fixture',
          input: { subject: 'Refund', body: 'I was charged twice for my subscription' },
          options: {},
        },
      ],
    });
    await handle.result();
    return handle.fetchHistory();
  });
  const name = process.argv[3] ?? 'run-task-classify-ticket.json';
  const file = path.join(__dirname, '../fixtures/histories', name);
  writeFileSync(file, `${historyToJSON(history)}\n`);
  console.log(`wrote ${file}`);
  await connection.close();
  await nativeConnection.close();
}

void main();
