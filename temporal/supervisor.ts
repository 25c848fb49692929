import type { ChildProcess } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stopProcess } from './dev-server';
import { DEFAULT_RESTART_POLICY, nextRestart, type RestartPolicy } from './restart-policy';

/**
 * The supervisor behind `npm start` and `npm run cluster`: starts its parts in order, restarts a
 * part that dies after start-up with backoff (restart-policy.ts), stops everything on a crash
 * loop (naming the part and its last lines), and on Ctrl-C / SIGTERM stops the parts in reverse
 * order, each with its own grace time. A second Ctrl-C / SIGTERM forces: SIGKILL to every part.
 *
 * Each part's current pid is kept in a state file (`supervisor.json` in the data dir) so an
 * operator, or the chaos suite (test/chaos/), can find the process behind a name.
 */
export interface PartSpec {
  /** Short name in the state file: `api`, `worker`, `temporal`, `api-1`, `postgres`. */
  name: string;
  /** For people, in log lines: "the API (with its worker)". */
  label: string;
  /**
   * Starts the process and resolves once it is ready; rejects if it dies or is not ready in time.
   * Called again for every restart. Call `spawned(child)` as soon as the process exists, so its
   * first lines are kept for a crash report and a stop during start-up reaches it.
   */
  start(spawned: (child: ChildProcess) => void): Promise<ChildProcess>;
  /** How long a graceful stop (SIGTERM) may take before SIGKILL. */
  stopGraceMs: number;
  /**
   * Parts this one cannot start without (`['temporal']`): a restart waits until they run again,
   * so a worker does not crash-loop on a refused connection while Temporal itself restarts.
   */
  dependsOn?: readonly string[];
}

export interface SupervisorState {
  pid: number;
  updatedAt: string;
  parts: Record<
    string,
    {
      label: string;
      pid: number | null;
      state: PartState;
      restarts: number;
      startedAt: string;
      /** When it last exited unexpectedly (null: never). */
      lastExitAt: string | null;
    }
  >;
}

type PartState = 'starting' | 'running' | 'restarting' | 'stopped';

export const SUPERVISOR_STATE_FILE = 'supervisor.json';

interface Part {
  spec: PartSpec;
  child?: ChildProcess;
  state: PartState;
  lastLines: string[];
  restartTimes: number[];
  restarts: number;
  startedAt: string;
}

const KEEP_LINES = 20;

export interface SupervisorOptions {
  log: (line: string) => void;
  /** Where `supervisor.json` is written; omit to write none. */
  dataDir?: string;
  policy?: RestartPolicy;
  /** Called once everything is stopped, with the exit code the supervisor should end with. */
  exit?: (code: number) => void;
}

export class Supervisor {
  private readonly parts: Part[] = [];
  private running = false;
  private stopping: Promise<void> | undefined;
  private readonly policy: RestartPolicy;
  private readonly exit: (code: number) => void;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = options.policy ?? DEFAULT_RESTART_POLICY;
    this.exit = options.exit ?? ((code) => process.exit(code));
    // Whatever ends this process (a crash included), no part outlives it.
    process.on('exit', () => {
      for (const part of this.parts) {
        if (part.child && part.child.exitCode === null && part.child.signalCode === null)
          part.child.kill('SIGTERM');
      }
    });
  }

  /**
   * Starts each part in turn (each waits for the one before to be ready). A part that dies
   * during start-up stops everything: that is a configuration problem, not a crash to retry.
   */
  async startAll(specs: readonly PartSpec[]): Promise<void> {
    for (const spec of specs) {
      const part: Part = {
        spec,
        state: 'starting',
        lastLines: [],
        restartTimes: [],
        restarts: 0,
        startedAt: new Date().toISOString(),
      };
      this.parts.push(part);
      try {
        await this.launch(part);
      } catch (err) {
        this.options.log(
          `${spec.label} did not start (${err instanceof Error ? err.message : String(err)}); stopping everything`,
        );
        await this.stop(1);
        throw err;
      }
    }
    this.running = true;
    this.writeState();
  }

  /** Ctrl-C / SIGTERM / SIGHUP stop gracefully; a second one forces. */
  installSignals(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']): void {
    for (const signal of signals) {
      process.on(signal, () => {
        if (this.stopping) this.force(signal);
        else void this.stop(0);
      });
    }
  }

  /** Graceful stop in reverse start order, then `exit(code)`. Idempotent. */
  stop(code: number): Promise<void> {
    this.stopping ??= (async () => {
      const order = [...this.parts].reverse();
      this.options.log(
        `stopping: ${order.map((p) => p.spec.label).join(', then ')} (each drains first; Ctrl-C again forces)`,
      );
      for (const part of order) {
        part.state = 'stopped';
        if (part.child) await stopProcess(part.child, part.spec.stopGraceMs);
      }
      this.writeState();
      this.options.log('stopped');
      this.exit(code);
    })();
    return this.stopping;
  }

  /** The second signal: no more draining. In-flight activities are retried by Temporal. */
  private force(signal: NodeJS.Signals): void {
    this.options.log(`${signal} again: forcing (SIGKILL to every part; Temporal retries what ran)`);
    for (const part of this.parts) {
      if (part.child && part.child.exitCode === null && part.child.signalCode === null)
        part.child.kill('SIGKILL');
    }
    this.writeState();
    this.exit(1);
  }

  private async launch(part: Part): Promise<void> {
    part.state = 'starting';
    part.lastLines = [];
    this.writeState();
    const keep = (chunk: Buffer): void => {
      part.lastLines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim()),
      );
      part.lastLines.splice(0, Math.max(0, part.lastLines.length - KEEP_LINES));
    };
    let child: ChildProcess;
    try {
      child = await part.spec.start((spawned) => {
        part.child = spawned;
        spawned.stdout?.on('data', keep);
        spawned.stderr?.on('data', keep);
        this.writeState();
      });
    } catch (err) {
      // Not ready in time, or dead: what it spawned must not outlive the attempt.
      if (part.child) await stopProcess(part.child, 5_000);
      part.child = undefined;
      throw err;
    }
    if (part.child !== child) {
      part.child = child;
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
    }
    part.startedAt = new Date().toISOString();
    child.once(
      'exit',
      (code, signal) => void this.onExit(part, child, `code ${code}, signal ${signal}`),
    );
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited at once (code ${child.exitCode}, signal ${child.signalCode})`);
    part.state = 'running';
    this.writeState();
  }

  private async onExit(part: Part, child: ChildProcess, detail: string): Promise<void> {
    if (this.stopping || part.child !== child) return;
    if (!this.running) {
      // Start-up: a part that dies before everything is ready is a configuration problem.
      this.options.log(
        `${part.spec.label} exited during start-up (${detail}); stopping everything`,
      );
      void this.stop(1);
      return;
    }
    await this.restartAfter(part, detail, Date.now() - Date.parse(part.startedAt));
  }

  /** `ranForMs`: how long it was up before it died (0 for a restart that failed to start). */
  private async restartAfter(part: Part, detail: string, ranForMs: number): Promise<void> {
    const { label } = part.spec;
    const decision = nextRestart(part.restartTimes, Date.now(), this.policy, ranForMs);
    if (!decision.restart) {
      this.options.log(
        `${label} crashed again (${detail}), ${decision.recent} restarts within ${this.policy.windowMs / 1000} s: ` +
          `a crash loop; stopping everything. Its last lines:\n${part.lastLines.map((l) => `    ${l}`).join('\n')}`,
      );
      void this.stop(1);
      return;
    }
    part.restartTimes.push(Date.now());
    part.restarts += 1;
    part.state = 'restarting';
    part.child = undefined;
    this.writeState();
    this.options.log(
      `${label} exited unexpectedly (${detail}); restarting in ${decision.delayMs} ms ` +
        `(restart ${decision.recent + 1} of at most ${this.policy.limit} within ${this.policy.windowMs / 1000} s)`,
    );
    await new Promise((r) => setTimeout(r, decision.delayMs));
    await this.dependenciesRunning(part);
    if (this.stopping) return;
    try {
      await this.launch(part);
      this.options.log(`${label} restarted`);
    } catch (err) {
      await this.restartAfter(
        part,
        `restart failed: ${err instanceof Error ? err.message : String(err)}`,
        0,
      );
    }
  }

  private async dependenciesRunning(part: Part): Promise<void> {
    const deps = this.parts.filter((p) => part.spec.dependsOn?.includes(p.spec.name));
    while (!this.stopping && deps.some((d) => d.state !== 'running'))
      await new Promise((r) => setTimeout(r, 100));
  }

  private writeState(): void {
    const dir = this.options.dataDir;
    if (!dir) return;
    const state: SupervisorState = {
      pid: process.pid,
      updatedAt: new Date().toISOString(),
      parts: Object.fromEntries(
        this.parts.map((p) => [
          p.spec.name,
          {
            label: p.spec.label,
            pid: p.child?.pid ?? null,
            state: p.state,
            restarts: p.restarts,
            startedAt: p.startedAt,
            lastExitAt: p.restartTimes.length
              ? new Date(p.restartTimes[p.restartTimes.length - 1]!).toISOString()
              : null,
          },
        ]),
      ),
    };
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, SUPERVISOR_STATE_FILE);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}
