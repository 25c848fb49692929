import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../temporal/reaper';
import { Supervisor, SUPERVISOR_STATE_FILE, type SupervisorState } from '../../temporal/supervisor';

/** Real processes: `node -e` sleepers that print a line, so the supervisor keeps last lines. */
const sleeper = (line: string): ChildProcess =>
  spawn(
    process.execPath,
    ['-e', `console.log(${JSON.stringify(line)}); setInterval(() => {}, 1e6)`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
const printed = (child: ChildProcess): Promise<ChildProcess> =>
  new Promise((resolve) => child.stdout!.once('data', () => resolve(child)));

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.length = 0;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup(
  policy = { initialMs: 20, maxMs: 1_000, limit: 2, windowMs: 60_000, stableMs: 60_000 },
) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keel-supervisor-'));
  dirs.push(dataDir);
  const lines: string[] = [];
  let exitCode: number | undefined;
  let api!: Supervisor;
  const exited = new Promise<number>((resolve) => {
    const supervisor = new Supervisor({
      log: (l) => lines.push(l),
      dataDir,
      policy,
      exit: (code) => {
        exitCode = code;
        resolve(code);
      },
    });
    api = supervisor;
  });
  const start = (name: string) => ({
    name,
    label: `the ${name}`,
    stopGraceMs: 2_000,
    start: async (spawned: (c: ChildProcess) => void) => {
      const c = sleeper(`${name} says hello`);
      children.push(c);
      spawned(c);
      return printed(c);
    },
  });
  const state = (): SupervisorState =>
    JSON.parse(readFileSync(path.join(dataDir, SUPERVISOR_STATE_FILE), 'utf8'));
  const until = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(check()).toBe(true);
  };
  return { supervisor: api, lines, exited, exitCode: () => exitCode, start, state, until };
}

describe('Supervisor', () => {
  it('restarts a part that was killed, with backoff, and keeps its new pid in the state file', async () => {
    const s = setup();
    await s.supervisor.startAll([s.start('db'), s.start('api')]);
    const first = s.state().parts.api!;
    expect(first).toMatchObject({ state: 'running', restarts: 0, label: 'the api' });
    process.kill(first.pid!, 'SIGKILL');
    await s.until(() => s.lines.some((l) => l === 'the api restarted'));
    expect(s.lines).toContain(
      'the api exited unexpectedly (code null, signal SIGKILL); restarting in 20 ms (restart 1 of at most 2 within 60 s)',
    );
    const second = s.state().parts.api!;
    expect(second).toMatchObject({ state: 'running', restarts: 1 });
    expect(second.pid).not.toBe(first.pid);
    expect(s.state().parts.db!.restarts).toBe(0); // nothing else was touched
    void s.supervisor.stop(0);
    expect(await s.exited).toBe(0);
    expect(s.state().parts.api!.state).toBe('stopped');
  });

  it('stops everything on a crash loop, naming the part and its last lines', async () => {
    const s = setup();
    await s.supervisor.startAll([s.start('db'), s.start('api')]);
    for (let i = 0; i < 3; i++) {
      const before = s.lines.length;
      const pid = s.state().parts.api!.pid!;
      process.kill(pid, 'SIGKILL');
      await s.until(
        () =>
          s.lines.length > before &&
          (s.lines.at(-1)!.endsWith('restarted') || s.exitCode() !== undefined),
      );
    }
    expect(await s.exited).toBe(1);
    const report = s.lines.find((l) => l.includes('a crash loop'))!;
    expect(report).toMatch(
      /^the api crashed again \(code null, signal SIGKILL\), 2 restarts within 60 s/,
    );
    expect(report).toContain('    api says hello');
    const db = s.state().parts.db!;
    expect(db.state).toBe('stopped');
    expect(() => process.kill(db.pid!, 0)).toThrow(); // stopped with it
  });

  it('a part that dies during start-up stops the start-up instead of restarting', async () => {
    const s = setup();
    const broken = {
      name: 'broken',
      label: 'the broken part',
      stopGraceMs: 1_000,
      start: () => Promise.reject(new Error('port 7233 is taken')),
    };
    await expect(s.supervisor.startAll([s.start('db'), broken])).rejects.toThrow('port 7233');
    expect(await s.exited).toBe(1);
    expect(s.lines).toContain(
      'the broken part did not start (port 7233 is taken); stopping everything',
    );
  });

  it('stops in reverse start order, waiting for each part', async () => {
    const s = setup();
    await s.supervisor.startAll([s.start('db'), s.start('api')]);
    const { db, api } = s.state().parts;
    const gone: number[] = [];
    for (const c of children) c.once('exit', () => gone.push(c.pid!));
    void s.supervisor.stop(0);
    expect(await s.exited).toBe(0);
    expect(gone).toEqual([api!.pid, db!.pid]);
  });

  it('a restart waits for the parts it depends on to run again', async () => {
    const s = setup({ initialMs: 20, maxMs: 1_000, limit: 5, windowMs: 60_000, stableMs: 60_000 });
    let dbStarts = 0;
    const slowDb = {
      ...s.start('db'),
      start: async (spawned: (c: ChildProcess) => void) => {
        dbStarts += 1;
        if (dbStarts > 1) await new Promise((r) => setTimeout(r, 300)); // a slow restart
        return s.start('db').start(spawned);
      },
    };
    await s.supervisor.startAll([slowDb, { ...s.start('api'), dependsOn: ['db'] }]);
    const { db, api } = s.state().parts;
    process.kill(db!.pid!, 'SIGKILL');
    process.kill(api!.pid!, 'SIGKILL');
    await s.until(() => s.lines.filter((l) => l.endsWith('restarted')).length === 2);
    expect(s.lines.filter((l) => l.endsWith('restarted'))).toEqual([
      'the db restarted',
      'the api restarted',
    ]);
    void s.supervisor.stop(0);
    expect(await s.exited).toBe(0);
  });

  it('a part that is not ready in time is stopped before the next attempt (no orphan)', async () => {
    const s = setup({ initialMs: 20, maxMs: 1_000, limit: 5, windowMs: 60_000, stableMs: 60_000 });
    let attempts = 0;
    const spawnedPids: number[] = [];
    const flaky = {
      ...s.start('api'),
      start: async (spawned: (c: ChildProcess) => void) => {
        attempts += 1;
        const c = sleeper('api says hello');
        children.push(c);
        spawned(c);
        spawnedPids.push(c.pid!);
        if (attempts === 2) throw new Error('/readyz was not ready within 100 ms');
        return printed(c);
      },
    };
    await s.supervisor.startAll([flaky]);
    process.kill(s.state().parts.api!.pid!, 'SIGKILL');
    await s.until(() => s.lines.some((l) => l === 'the api restarted'));
    expect(attempts).toBe(3);
    expect(s.lines.some((l) => l.includes('restart failed: /readyz was not ready'))).toBe(true);
    // The attempt that was not ready is gone; only the third runs.
    expect(spawnedPids.map(isAlive)).toEqual([false, false, true]);
    void s.supervisor.stop(0);
    expect(await s.exited).toBe(0);
  });
});
