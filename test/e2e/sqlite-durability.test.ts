import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../shared/platform/logger';
import { installTemporalRuntime } from '../../shared/platform/temporal-connection';
import { DEFAULT_SQLITE_PRAGMAS, startDevServer, type DevServer } from '../../temporal/dev-server';
import type { echo } from '../support/durability-workflows';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/processes';

/**
 * kill -9 of the Temporal dev server on its SQLite file, with the pragmas `npm start` uses, while
 * clients are writing: every workflow start, signal and result the server acknowledged before it
 * died is there after a restart on the same file. A process crash leaves what the OS already has;
 * what a power loss could take is the subject of docs/sqlite-durability.md, not of this test.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-sqlite-durability-'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

try {
  installTemporalRuntime({ logger: createLogger({ name: 'test', level: 'warn' }), level: 'warn' });
} catch {
  // already installed in this process
}
const noop = (): void => undefined;
const logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

describe('SQLite durability', () => {
  it(`kill -9 of the dev server (${DEFAULT_SQLITE_PRAGMAS.join(', ')}) loses no acknowledged start, signal or result`, async () => {
    const options = {
      cliPath: inject('temporalCliPath'),
      port: await freePort(),
      // No sqlitePragmas: the default `npm start` gets (DEFAULT_SQLITE_PRAGMAS).
      dbFile: path.join(dir, 'temporal.db'),
    };
    let server: DevServer = await startDevServer(options);
    // The pragmas reached SQLite (the CLI would not say if they had not): WAL mode keeps a -wal file.
    expect(existsSync(`${options.dbFile}-wal`)).toBe(true);
    cleanups.push(() => server.stop());
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });

    // A worker completes `echo` workflows; the signal-with-starts go to a queue nobody polls.
    const native = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => native.close());
    const taskQueue = `durability-${randomUUID()}`;
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.join(__dirname, '../support/durability-workflows.ts'),
      logger,
    });
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowBundle: { code: bundle.code },
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });

    // What the server acknowledged: a result the client received, a signal-with-start it answered.
    const results = new Map<string, number>();
    const signaled = new Map<string, number>();
    let writing = true;
    let next = 0;
    let inFlight = 0;
    const loop = async (write: (i: number) => Promise<void>): Promise<void> => {
      while (writing) {
        const i = next++;
        // A call in flight at the kill may fail, or land after the restart; either way it only
        // counts once the server has answered.
        inFlight++;
        await write(i).catch(() => undefined);
        inFlight--;
      }
    };
    const writers = [
      ...Array.from({ length: 4 }, () =>
        loop(async (i) => {
          const id = `echo-${i}`;
          const n = await client.workflow.execute<typeof echo>('echo', {
            taskQueue,
            workflowId: id,
            args: [i],
          });
          results.set(id, n);
        }),
      ),
      ...Array.from({ length: 4 }, () =>
        loop(async (i) => {
          const id = `waiting-${i}`;
          await client.workflow.signalWithStart('waitForGo', {
            taskQueue: `${taskQueue}-idle`,
            workflowId: id,
            signal: 'go',
            signalArgs: [i],
          });
          signaled.set(id, i);
        }),
      ),
    ];
    await waitFor(
      '100 results and 200 signal-with-starts',
      () => results.size >= 100 && signaled.size >= 200,
      {
        timeoutMs: 60_000,
      },
    );

    // kill -9 with writes in flight: the server is one process (no children); no grace, no flush.
    const acknowledgedAtKill = { results: results.size, signaled: signaled.size };
    expect(inFlight).toBeGreaterThan(0);
    const gone = new Promise((resolve) => server.process.once('exit', resolve));
    server.process.kill('SIGKILL');
    writing = false;
    await gone;
    expect(server.process.signalCode).toBe('SIGKILL');

    server = await startDevServer(options);
    await Promise.all(writers);
    expect(results.size).toBeGreaterThanOrEqual(acknowledgedAtKill.results);
    expect(signaled.size).toBeGreaterThanOrEqual(acknowledgedAtKill.signaled);

    const lost: string[] = [];
    for (const [id, n] of results) {
      const handle = client.workflow.getHandle(id);
      const { status } = await handle.describe();
      if (status.name !== 'COMPLETED' || (await handle.result()) !== n)
        lost.push(`${id}: ${status.name}`);
    }
    for (const [id, n] of signaled) {
      const handle = client.workflow.getHandle(id);
      const { status } = await handle.describe();
      const signals = (await handle.fetchHistory()).events?.flatMap((e) => {
        const a = e.workflowExecutionSignaledEventAttributes;
        return a
          ? [{ name: a.signalName, n: defaultPayloadConverter.fromPayload(a.input!.payloads![0]!) }]
          : [];
      });
      if (
        status.name !== 'RUNNING' ||
        JSON.stringify(signals) !== JSON.stringify([{ name: 'go', n }])
      ) {
        lost.push(`${id}: ${status.name}, signals ${JSON.stringify(signals)}`);
      }
    }
    expect(lost).toEqual([]);
  }, 180_000);
});
