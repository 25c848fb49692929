import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { freePort } from './free-port';
import { startTs, stop, waitFor, type RunningProcess } from './processes';

export { MOCK_UPSTREAM_CONFIG, mockUpstreamConfigWith, upstreamEnv } from './upstream-env';

export interface Stack {
  baseUrl: string;
  apiKey: string;
  taskQueue: string;
  env: NodeJS.ProcessEnv;
  worker: RunningProcess;
  server: RunningProcess;
  /** fetch against the API with the demo key (unless `auth: false`). */
  call(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The real service, as `npm run worker` + `npm run server` start it, against the suite's dev
 * server, on a task queue and port of its own.
 */
export async function startStack(extraEnv: NodeJS.ProcessEnv = {}): Promise<Stack> {
  return (await startParts({ KEEL_EMBEDDED_WORKER: 'false', ...extraEnv }, true)) as Stack;
}

/** The service as `npm start` runs it: one API process with the worker inside (eager starts). */
export type EmbeddedStack = Omit<Stack, 'worker'>;

export async function startEmbeddedStack(extraEnv: NodeJS.ProcessEnv = {}): Promise<EmbeddedStack> {
  return startParts({ ...extraEnv, KEEL_EMBEDDED_WORKER: 'true' }, false);
}

async function startParts(
  extraEnv: NodeJS.ProcessEnv,
  withWorker: boolean,
): Promise<EmbeddedStack & { worker?: RunningProcess }> {
  // A port of the caller's choosing (PORT in extraEnv), e.g. one a dev server's UI points at.
  const port = extraEnv.PORT ? Number(extraEnv.PORT) : await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-e2e-'));
  const apiKey = `test_${randomUUID()}`;
  const taskQueue = `e2e-${randomUUID()}`;
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    KEEL_TASK_QUEUE: taskQueue,
    KEEL_DEMO_TENANT: 'true',
    KEEL_DEMO_API_KEY: apiKey,
    KEEL_INPUT_KEY_SECRET: `test-input-key-${randomUUID()}`,
    KEEL_DATA_DIR: dataDir,
    PORT: String(port),
    ...extraEnv,
  };
  const worker = withWorker ? startTs('worker/main.ts', env) : undefined;
  const server = startTs('server/main.ts', env);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor('worker and API ready', async () => (await fetch(`${baseUrl}/readyz`)).ok, {
    timeoutMs: 90_000,
    process: server,
  });
  return {
    baseUrl,
    apiKey,
    taskQueue,
    env,
    ...(worker ? { worker } : {}),
    server,
    call: (p, init = {}) => {
      const headers = new Headers(init.headers);
      if (init.auth !== false) headers.set('authorization', `Bearer ${apiKey}`);
      if (init.body && !headers.has('content-type'))
        headers.set('content-type', 'application/json');
      return fetch(`${baseUrl}${p}`, { ...init, headers });
    },
    stop: async () => {
      await stop(server);
      if (worker) await stop(worker);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
