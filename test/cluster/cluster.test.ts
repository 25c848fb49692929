import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { isAlive as alive } from '../../temporal/reaper';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../temporal/cluster/cluster';
import type { SupervisorState } from '../../temporal/supervisor';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { ROOT, waitFor } from '../support/processes';
import { upstreamEnv } from '../support/upstream-env';
import { keelQueuesFilter } from '../../shared/platform/task-queues';

/**
 * The production topology on this machine (`npm run cluster`): Temporal's own server on
 * PostgreSQL, two worker and two API processes. Checks what docs/operations.md ("Pointing Keel at
 * a real Temporal cluster") promises against it: tasks through every API, workers registering
 * Keel's search attributes, visibility queries on them (SQL visibility on PostgreSQL), and jobs
 * that finish after the Temporal server and PostgreSQL are killed and restarted.
 */
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-cluster-'));
// As root, PostgreSQL runs as the `postgres` account, which must reach its data dir inside.
chmodSync(dataDir, 0o755);
const apiKey = `test_${randomUUID()}`;
const supervisorLines: string[] = [];
let mock: MockUpstream;
let cluster: Cluster;
let connection: Connection;
let client: Client;
let env: NodeJS.ProcessEnv;

const start = (): Promise<Cluster> =>
  startCluster({
    env,
    clusterDir: path.join(dataDir, 'cluster'),
    binariesDataDir: path.join(ROOT, '.keel'), // built once by `npm run cluster:install`
    log: (line) => supervisorLines.push(line),
    exit: () => undefined,
  });

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0, slow: { medianMs: 3_000, p99Ms: 5_000 }, seed: 11 });
  env = {
    ...process.env,
    ...upstreamEnv(mock.url),
    KEEL_DATA_DIR: dataDir,
    KEEL_DEMO_TENANT: 'true',
    KEEL_DEMO_API_KEY: apiKey,
    KEEL_INPUT_KEY_SECRET: `test-input-key-${randomUUID()}`,
    LOG_LEVEL: 'warn',
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.KEEL_CLUSTER_DIR;
  cluster = await start();
  connection = await Connection.connect({ address: cluster.temporalAddress });
  client = new Client({ connection, namespace: cluster.namespace });
});

afterAll(async () => {
  await connection?.close();
  const pids = cluster ? Object.values(cluster.pids()) : [];
  await cluster?.stop();
  await mock?.close();
  // Nothing is left running.
  for (const pid of pids) if (pid) expect(alive(pid), `pid ${pid} still running`).toBe(false);
  rmSync(dataDir, { recursive: true, force: true });
});

const call = (api: string, p: string, body?: unknown): Promise<Response> =>
  fetch(`${api}${p}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

const ticket = (marker: string, options: object = {}): unknown => ({
  input: { subject: 'Refund', body: `${marker}: I was charged twice for my subscription` },
  options,
});

/** Async tasks on the upstream's slow model: each answers 202 and runs for a few seconds. */
async function submitSlow(count: number, label: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const api = cluster.apiUrls[i % cluster.apiUrls.length]!;
      const res = await call(
        api,
        '/v1/tasks/classify-ticket',
        ticket(`${label} ticket ${i}`, { route: ['openai:slow'], maxSyncMs: 0 }),
      );
      expect(res.status).toBe(202);
      return ((await res.json()) as { jobId: string }).jobId;
    }),
  );
}

async function expectAllCompleted(jobIds: string[], timeoutMs: number): Promise<void> {
  type Job = { status: string; output?: { category?: string } };
  let jobs: Job[] = [];
  await waitFor(
    'every job completed',
    async () => {
      // Read through the second API: either one sees every job (the state lives in Temporal).
      jobs = await Promise.all(
        jobIds.map(
          async (id) => (await (await call(cluster.apiUrls[1]!, `/v1/jobs/${id}`)).json()) as Job,
        ),
      );
      return jobs.every((j) => j.status === 'completed');
    },
    { timeoutMs },
  );
  for (const job of jobs) expect(job.output?.category).toBe('BILLING');
}

const state = (): SupervisorState =>
  JSON.parse(readFileSync(cluster.stateFile, 'utf8')) as SupervisorState;

/** kill -9 a part by the pid in the state file, then wait until the supervisor has restarted it. */
async function killAndAwaitRestart(name: string): Promise<void> {
  const before = state().parts[name]!;
  expect(before.state).toBe('running');
  process.kill(before.pid!, 'SIGKILL');
  await waitFor(
    `${name} restarted`,
    () => {
      const now = state().parts[name]!;
      return now.state === 'running' && now.pid !== before.pid && now.restarts > before.restarts;
    },
    { timeoutMs: 120_000 },
  );
}

describe('npm run cluster: Temporal server on PostgreSQL, 2 workers, 2 APIs', () => {
  it('runs six supervised processes, named with their pids in supervisor.json', () => {
    const parts = state().parts;
    expect(Object.keys(parts)).toEqual([
      'postgres',
      'temporal',
      'worker-1',
      'worker-2',
      'api-1',
      'api-2',
    ]);
    for (const part of Object.values(parts)) {
      expect(part.state).toBe('running');
      expect(alive(part.pid!)).toBe(true);
    }
    // The Keel processes are the real entry points, workers apart from APIs.
    const cmd = (name: string): string =>
      readFileSync(`/proc/${parts[name]!.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    expect(cmd('worker-1')).toContain('worker/main.ts');
    expect(cmd('api-2')).toContain('server/main.ts');
    expect(cmd('temporal')).toContain('--config-file');
  });

  it('is Temporal’s own server with persistence and visibility on PostgreSQL', async () => {
    const info = await connection.workflowService.getClusterInfo({});
    expect(info.persistenceStore).toContain('postgres');
    expect(info.visibilityStore).toContain('postgres');
    expect(info.serverVersion).toBe('1.32.2');
  });

  it('answers a sync task 200 through each API', async () => {
    for (const api of cluster.apiUrls) {
      const res = await call(api, '/v1/tasks/classify-ticket', ticket(`sync via ${api}`));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; output: { category: string } };
      expect(body).toMatchObject({ status: 'completed', output: { category: 'BILLING' } });
    }
  });

  it('runs an async task 202 → completed, and lists it by Keel’s search attributes', async () => {
    // Keel's five attributes are on the namespace (docs/operations.md: registered at boot).
    const attributes = await connection.operatorService.listSearchAttributes({
      namespace: cluster.namespace,
    });
    expect(Object.keys(attributes.customAttributes ?? {})).toEqual(
      expect.arrayContaining(['KeelTenant', 'KeelTask', 'KeelStatus', 'KeelPath', 'KeelInputKey']),
    );

    const [jobId] = await submitSlow(1, 'visibility');
    const running =
      `WorkflowType = 'runTask' AND KeelTask = 'classify-ticket' AND KeelStatus = 'running' ` +
      `AND ExecutionStatus = 'Running' AND ${keelQueuesFilter(cluster.taskQueue)}`;
    const ids = async (query: string): Promise<string[]> => {
      const found: string[] = [];
      for await (const wf of client.workflow.list({ query })) found.push(wf.workflowId);
      return found;
    };
    await waitFor('the running job listed', async () => (await ids(running)).includes(jobId!), {
      timeoutMs: 5_000,
    });
    await expectAllCompleted([jobId!], 60_000);
    await waitFor(
      'the completed job listed by KeelStatus',
      async () =>
        (
          await ids(
            `WorkflowType = 'runTask' AND KeelStatus = 'completed' AND KeelTenant = 'demo' ` +
              `AND KeelTask = 'classify-ticket' AND KeelPath IS NOT NULL`,
          )
        ).includes(jobId!),
      { timeoutMs: 10_000 },
    );
    expect(await ids(running)).not.toContain(jobId);
  });

  it('finishes accepted jobs after the Temporal server is killed and restarted', async () => {
    const jobIds = await submitSlow(4, 'temporal-restart');
    await killAndAwaitRestart('temporal');
    expect(supervisorLines.join('\n')).toMatch(/the Temporal server exited unexpectedly/);
    await expectAllCompleted(jobIds, 120_000);
  });

  it('finishes accepted jobs after PostgreSQL is killed and restarted', async () => {
    const jobIds = await submitSlow(4, 'postgres-restart');
    await killAndAwaitRestart('postgres');
    expect(supervisorLines.join('\n')).toMatch(/PostgreSQL exited unexpectedly/);
    await expectAllCompleted(jobIds, 120_000);
    // And new work runs again through both APIs.
    for (const api of cluster.apiUrls) {
      await waitFor(
        `a sync task through ${api}`,
        async () =>
          (await call(api, '/v1/tasks/classify-ticket', ticket('after postgres'))).status === 200,
        { timeoutMs: 60_000 },
      );
    }
  });

  it('stops every process, and a second start on the same data finds the jobs of the first', async () => {
    const [jobId] = await submitSlow(1, 'second-start');
    await expectAllCompleted([jobId!], 60_000);
    const pids = Object.values(cluster.pids());
    await connection.close();
    await cluster.stop();
    for (const pid of pids) expect(alive(pid!), `pid ${pid} still running`).toBe(false);
    expect(Object.values(state().parts).map((p) => p.state)).toEqual(Array(6).fill('stopped'));

    // Schema, namespace and search attributes are set up again without error; the job is there.
    cluster = await start();
    connection = await Connection.connect({ address: cluster.temporalAddress });
    const job = (await (await call(cluster.apiUrls[0]!, `/v1/jobs/${jobId}`)).json()) as object;
    expect(job).toMatchObject({ jobId, status: 'completed', output: { category: 'BILLING' } });
  });
});
