import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { isAlive as alive } from '../../temporal/reaper';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/free-port';
import { storedText } from '../support/history-text';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-start-'));
const started: RunningProcess[] = [];
afterAll(async () => {
  // A failed assertion must not leave a supervisor (and its dev server) running.
  await Promise.all(started.map((p) => stop(p, 'SIGTERM')));
  rmSync(dataDir, { recursive: true, force: true });
});

function childPids(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

function commandOf(pid: number): string {
  return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
}

/** `npm start` as a newcomer runs it: embedded dev server with SQLite under the data dir. */
async function npmStart(ports: {
  api: number;
  temporal: number;
  ui: number;
}): Promise<RunningProcess> {
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
  const p = startTs('temporal/start-all.ts', env);
  started.push(p);
  await waitFor('"Keel is running"', () => p.output().includes('Keel is running'), {
    timeoutMs: 120_000,
    process: p,
  });
  return p;
}

describe('npm start (embedded default)', () => {
  it('runs the whole service, prints URLs and key, survives a restart, and stops cleanly', async () => {
    const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
    const first = await npmStart(ports);
    const out = first.output();
    expect(out).toContain(`http://127.0.0.1:${ports.api}/docs`);
    expect(out).toContain(`http://127.0.0.1:${ports.ui}`);
    const key = /Demo API key (\S+)/.exec(out)?.[1];
    expect(key).toMatch(/^keel_demo_/);
    // The input-key secret its worker needs: generated, kept owner-only, never printed.
    const secretFile = path.join(dataDir, 'input-key-secret');
    const inputSecret = readFileSync(secretFile, 'utf8').trim();
    expect(inputSecret.length).toBeGreaterThanOrEqual(16);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(out).toContain('generated an input-key secret');
    expect(out).not.toContain(inputSecret);

    const res = await fetch(`http://127.0.0.1:${ports.api}/v1/tasks/classify-ticket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        input: { subject: 'Refund', body: 'I was charged twice for my subscription' },
      }),
    });
    expect(res.status).toBe(200);
    const { jobId, output } = (await res.json()) as { jobId: string; output: { category: string } };
    expect(output.category).toBe('BILLING');

    // Encrypted by default: a payload key generated into the data dir (owner-only, never
    // printed), and the history Temporal stores holds ciphertext, not the input.
    const keyFile = path.join(dataDir, 'payload-keys');
    const payloadKey = readFileSync(keyFile, 'utf8')
      .split('\n')
      .find((l) => /^k\d/.test(l))!;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(out).toContain('generated a payload encryption key');
    expect(out).not.toContain(payloadKey.split(':')[1]);
    const raw = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const history = await new Client({ connection: raw }).workflow.getHandle(jobId).fetchHistory();
    await raw.close();
    const stored = storedText(history);
    expect(stored).toContain('binary/encrypted');
    expect(stored).not.toContain('charged twice');

    // The Web UI is up, and `npm run temporal -- workflow list` shows the workflow.
    expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
    const list = startTs(
      'temporal/run-cli.ts',
      {
        KEEL_DATA_DIR: dataDir,
        KEEL_TEMPORAL_PORT: String(ports.temporal),
        TEMPORAL_CLI_PATH: inject('temporalCliPath'),
        TEMPORAL_ADDRESS: '',
      },
      ['workflow', 'list'],
    );
    expect(await list.exited).toBe(0);
    expect(list.output()).toContain(jobId);

    // The fast default: the worker runs inside the API process; no child is a worker process.
    const children = childPids(first.child.pid!);
    const commands = children.map(commandOf);
    expect(commands.filter((c) => c.includes('server/main.ts'))).toHaveLength(1);
    expect(commands.filter((c) => c.includes('worker/main.ts'))).toEqual([]);
    // The dev server's Web UI decodes through the API's codec server.
    expect(commands.find((c) => c.includes('start-dev'))).toContain(
      `--ui-codec-endpoint http://127.0.0.1:${ports.api}/codec`,
    );

    // Self-healing: kill -9 the API (its worker inside), then the dev server. The supervisor
    // restarts each with backoff and says so; tasks run again; nothing else is stopped.
    const classify = async (): Promise<Response> =>
      fetch(`http://127.0.0.1:${ports.api}/v1/tasks/classify-ticket`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          input: { subject: 'Refund', body: 'I was charged twice for my subscription' },
        }),
      });
    const apiPid = children[commands.findIndex((c) => c.includes('server/main.ts'))]!;
    process.kill(apiPid, 'SIGKILL');
    await waitFor(
      'the API restarted',
      () => /the API \(with its worker\) restarted/.test(first.output()),
      {
        timeoutMs: 90_000,
        process: first,
      },
    );
    expect(first.output()).toMatch(
      /the API \(with its worker\) exited unexpectedly \(code null, signal SIGKILL\); restarting in 500 ms/,
    );
    await waitFor(
      'ready again',
      async () => (await fetch(`http://127.0.0.1:${ports.api}/readyz`)).ok,
      {
        timeoutMs: 90_000,
      },
    );
    expect((await classify()).status).toBe(200);

    const temporalPid = children[commands.findIndex((c) => c.includes('start-dev'))]!;
    process.kill(temporalPid, 'SIGKILL');
    await waitFor(
      'Temporal restarted',
      () => /the Temporal dev server restarted/.test(first.output()),
      {
        timeoutMs: 90_000,
        process: first,
      },
    );
    await waitFor(
      'a task runs on the restarted server',
      async () => (await classify().catch(() => undefined))?.status === 200,
      { timeoutMs: 90_000 },
    );
    // The job from before the kills is still there (the SQLite file).
    const before = await fetch(`http://127.0.0.1:${ports.api}/v1/jobs/${jobId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(before.status).toBe(200);

    // SIGTERM stops everything: the API with its worker, and Temporal. Nothing is left running.
    const afterRestarts = childPids(first.child.pid!);
    expect(await stop(first, 'SIGTERM')).toBe(0);
    await waitFor('children gone', () => afterRestarts.every((pid) => !alive(pid)), {
      timeoutMs: 15_000,
    });

    // Same data dir again: the SQLite file kept the job, and the generated key is the same.
    const second = await npmStart(ports);
    expect(second.output()).toContain(key);
    expect(second.output()).not.toContain(inputSecret);
    expect(readFileSync(secretFile, 'utf8').trim()).toBe(inputSecret);
    const job = (await (
      await fetch(`http://127.0.0.1:${ports.api}/v1/jobs/${jobId}`, {
        headers: { authorization: `Bearer ${key}` },
      })
    ).json()) as any;
    expect(job).toMatchObject({ jobId, status: 'completed', output: { category: 'BILLING' } });
    // The supervisor's state file names each part's current pid (what `npm run chaos` kills).
    const again = childPids(second.child.pid!);
    const state = JSON.parse(readFileSync(path.join(dataDir, 'supervisor.json'), 'utf8'));
    expect(Object.keys(state.parts)).toEqual(['temporal', 'api']);
    // Besides the parts, npm start's reaper (temporal/reaper.ts), which outlives a kill -9 of it.
    const reaper = again.filter((pid) => commandOf(pid).includes('reaper.ts'));
    expect(reaper).toHaveLength(1);
    expect(again.filter((pid) => !reaper.includes(pid)).sort()).toEqual(
      [state.parts.temporal.pid, state.parts.api.pid].sort(),
    );
    // Ctrl-C twice: the second one does not wait for the drain. The API is frozen (SIGSTOP) so
    // its graceful stop would hang for the whole grace time; the second Ctrl-C kills it at once.
    process.kill(state.parts.api.pid, 'SIGSTOP');
    second.child.kill('SIGINT');
    await waitFor('stopping', () => second.output().includes('stopping'), { timeoutMs: 10_000 });
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('SIGINT again: forcing');
    await waitFor('children gone', () => again.every((pid) => !alive(pid)), { timeoutMs: 15_000 });

    // kill -9 of npm start itself: no handler runs; the reaper it left behind stops the dev
    // server (the API stops by itself when its parent is gone).
    const third = await npmStart(ports);
    const parts = JSON.parse(readFileSync(path.join(dataDir, 'supervisor.json'), 'utf8')).parts;
    const pids = [parts.temporal.pid, parts.api.pid] as number[];
    third.child.kill('SIGKILL');
    await waitFor(
      'every part gone after kill -9 of npm start',
      () => pids.every((pid) => !alive(pid)),
      {
        timeoutMs: 60_000,
      },
    );
    expect(readFileSync(path.join(dataDir, 'reaper.log'), 'utf8')).toContain(
      `temporal (${parts.temporal.pid})`,
    );
    // Three cold starts, each bounded by npmStart's own 120 s wait.
  }, 420_000);
});
