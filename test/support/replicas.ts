import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { freePort } from './free-port';
import { startTs, stop, waitFor, type RunningProcess } from './processes';

/** One API process of a replica set, on a port of its own. */
export interface ApiReplica {
  baseUrl: string;
  process: RunningProcess;
  /** fetch against this API with `key` (the operator's demo key unless given; none with `null`). */
  call(p: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
}

export interface ReplicaSet {
  apis: ApiReplica[];
  workers: RunningProcess[];
  /** The platform operator's key (the demo tenant's, every role). */
  operatorKey: string;
  env: NodeJS.ProcessEnv;
  /** Stops every API process (SIGTERM, waits for exit) and starts them again on the same ports. */
  restartApis(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The production topology in miniature: `apis` API processes (`npm run server`) and `workers`
 * worker processes (`npm run worker`) on one task queue against the suite's dev server, sharing
 * the tenant store and the limiter that `extraEnv` names (KEEL_DATABASE_URL, KEEL_REDIS_URL).
 */
export async function startReplicas(
  extraEnv: NodeJS.ProcessEnv,
  counts: { apis: number; workers: number } = { apis: 2, workers: 2 },
): Promise<ReplicaSet> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-replicas-'));
  const operatorKey = `test_${randomUUID()}`;
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    KEEL_TASK_QUEUE: `e2e-${randomUUID()}`,
    KEEL_DEMO_TENANT: 'true',
    KEEL_DEMO_API_KEY: operatorKey,
    KEEL_INPUT_KEY_SECRET: `test-input-key-${randomUUID()}`,
    KEEL_DATA_DIR: dataDir,
    KEEL_EMBEDDED_WORKER: 'false',
    ...extraEnv,
  };
  const ports = await Promise.all(Array.from({ length: counts.apis }, () => freePort()));
  const workers = Array.from({ length: counts.workers }, () => startTs('worker/main.ts', env));
  const apis: ApiReplica[] = ports.map((port) => {
    const baseUrl = `http://127.0.0.1:${port}`;
    return {
      baseUrl,
      process: startTs('server/main.ts', { ...env, PORT: String(port) }),
      call: (p, init = {}) => {
        const { key = operatorKey, ...rest } = init;
        const headers = new Headers(rest.headers);
        if (key !== null) headers.set('authorization', `Bearer ${key}`);
        if (rest.body && !headers.has('content-type'))
          headers.set('content-type', 'application/json');
        return fetch(`${baseUrl}${p}`, { ...rest, headers });
      },
    };
  });
  const ready = async (api: ApiReplica): Promise<void> =>
    waitFor(`API ${api.baseUrl} ready`, async () => (await fetch(`${api.baseUrl}/readyz`)).ok, {
      timeoutMs: 90_000,
      process: api.process,
    });
  const stopAll = async (): Promise<void> => {
    await Promise.all([...apis.map((a) => stop(a.process)), ...workers.map((w) => stop(w))]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(apis.map(ready));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    apis,
    workers,
    operatorKey,
    env,
    restartApis: async () => {
      await Promise.all(apis.map((a) => stop(a.process)));
      for (const [i, api] of apis.entries())
        api.process = startTs('server/main.ts', { ...env, PORT: String(ports[i]) });
      await Promise.all(apis.map(ready));
    },
    stop: stopAll,
  };
}
