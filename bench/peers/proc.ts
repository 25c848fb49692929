/**
 * Process plumbing shared by the peer launchers: spawn a server in its own process group, keep
 * the tail of its output for error messages, list its whole process tree (for RSS sampling) and
 * kill all of it, workers included, even when the benchmark itself crashes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rssMb } from '../lib/proc-stats';

/** How much of a peer's stdout + stderr is kept, for failure messages. */
const OUTPUT_TAIL_CHARS = 16_000;

export interface PeerProcess {
  child: ChildProcess;
  /** The last few KB it printed (stdout and stderr interleaved). */
  output(): string;
  /** Resolves once the direct child is gone. */
  exited: Promise<void>;
  /** The child and every live descendant or member of its process group. */
  pids(): number[];
  /** SIGTERM to the whole tree, SIGKILL to whatever is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid pgrp ...`; comm may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function processTable(): ProcInfo[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((p): p is ProcInfo => p !== undefined && p.state !== 'Z');
}

/** `root`, its live descendants, and live members of its process group (orphans included). */
export function processTree(root: number): number[] {
  const table = processTable();
  const found = new Set<number>(
    table.filter((p) => p.pid === root || p.pgrp === root).map((p) => p.pid),
  );
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of table) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}

const isAlive = (pid: number): boolean => {
  const info = readProc(pid);
  return info !== undefined && info.state !== 'Z';
};

/** Resident set size of the processes, in bytes (0 for the ones already gone). */
export function rssBytes(pids: readonly number[]): number {
  return pids.reduce((total, pid) => total + (rssMb(pid) ?? 0) * 1024 * 1024, 0);
}

function signal(pids: readonly number[], group: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-group, sig);
  } catch {
    // The group may be empty already.
  }
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns `command` detached (its own process group, so one signal reaches its workers) with
 * output captured, never inherited: peers print banners and per-request errors we do not want in
 * benchmark output. A process exit hook SIGKILLs the group if the caller never calls stop().
 */
export function spawnPeer(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): PeerProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  let out = '';
  const keep = (chunk: Buffer): void => {
    out = (out + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // Last resort on a crash or process.exit(): synchronous, so it must not wait for anything.
  const onExit = (): void => signal(processTree(pid), pid, 'SIGKILL');
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 5_000): Promise<void> => {
    stopping ??= (async () => {
      // Listed before the first signal: a worker whose parent dies is reparented and would
      // otherwise drop out of the tree.
      const pids = processTree(pid);
      signal(pids, pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && pids.some(isAlive)) await sleep(50);
      const left = [...new Set([...pids, ...processTree(pid)])].filter(isAlive);
      if (left.length > 0) signal(left, pid, 'SIGKILL');
      while (pids.some(isAlive)) await sleep(20);
      await exited;
      process.removeListener('exit', onExit);
    })();
    return stopping;
  };
  return { child, output: () => out, exited, pids: () => processTree(pid), stop };
}

/** Polls `check` until it holds; fails early if the process dies, with its output attached. */
export async function waitUntilReady(
  what: string,
  proc: PeerProcess,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${what} exited before it was ready:\n${proc.output().slice(-3_000)}`);
    }
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms:\n${proc.output().slice(-3_000)}`);
}

/** Runs a short-lived command to completion; rejects with its output tail on failure. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-OUTPUT_TAIL_CHARS)));
    child.stderr.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-OUTPUT_TAIL_CHARS)));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out.slice(-3_000)}`)),
    );
  });
}
