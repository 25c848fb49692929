import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout + stderr), for assertions and failure messages. */
  output(): string;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
}

/** Starts `node --import tsx <entry>` from the repo root, the way `npm start` starts its parts. */
export function startTs(
  entry: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  /** Flags for node itself, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs: string[] = [],
  /** Run it under `nice -n N` (every thread of it, from the start): background work yields the CPU. */
  options: { nice?: number } = {},
): RunningProcess {
  const command = [
    process.execPath,
    ...nodeArgs,
    '--import',
    'tsx',
    path.join(ROOT, entry),
    ...args,
  ];
  if (options.nice !== undefined) command.unshift('nice', '-n', String(options.nice));
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; process?: RunningProcess },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (options.process && options.process.child.exitCode !== null) {
      throw new Error(
        `process exited while waiting for ${what}:\n${options.process.output().slice(-2_000)}`,
      );
    }
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `timed out waiting for ${what}${options.process ? `:\n${options.process.output().slice(-2_000)}` : ''}`,
  );
}

export async function stop(
  p: RunningProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exited;
}
