import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { findTemporalCli } from '../../temporal/cli';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { WORKFLOWS_PATH } from '../../worker/keel-worker';
import { freePort } from './free-port';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCliPath: string;
    workflowBundlePath: string;
  }
}

const ROOT = path.resolve(__dirname, '../..');

/**
 * One real Temporal dev server (the real CLI binary, in memory, headless) for the whole
 * integration suite, plus one workflow bundle shared by in-process test workers.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = await findTemporalCli({
    dataDir: path.join(ROOT, '.keel'),
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    install: true,
    log: (line) => console.log(`[test setup] ${line}`),
  });
  const server: DevServer = await startDevServer({ cliPath: cli.path, port: await freePort() });
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default');
  await connection.close();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-bundle-'));
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const bundlePath = path.join(dir, 'workflows.js');
  writeFileSync(bundlePath, bundle.code);

  project.provide('temporalAddress', server.address);
  project.provide('temporalCliPath', cli.path);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

const noop = (): void => undefined;
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: console.error,
};
