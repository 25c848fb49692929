import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Attempt, MockUpstream } from '../mock-upstream';
import { Load, sleep, type RequestRecord } from './load';
import type { ChaosTarget, Fault } from './targets';
import { keelQueuesFilter } from '../../shared/platform/task-queues';

/**
 * The chaos suite: under a steady load of sync and async tasks, each fault in turn (kill -9 of a
 * supervised part, or SIGSTOP for longer than the heartbeat timeout), `rounds` times, on one
 * deployment that heals itself. Then the ledger: every accepted request completed exactly once,
 * nothing left running, and every model call that ran twice explained by a fault that cut it off.
 */
export interface ChaosOptions {
  rounds: number;
  /** Names from target.faults; all of them when omitted. */
  faults?: readonly string[];
  syncCallers?: number;
  asyncPerSecond?: number;
  /** Steady load before each fault, the baseline throughput is measured over it. @default 5000 */
  baselineMs?: number;
  /** Give up waiting for full throughput after this long. @default 90000 */
  recoveryCapMs?: number;
  progress?: (line: string) => void;
}

/** "Full throughput": sync answers over a 2 s window at this fraction of the baseline rate. */
export const FULL_THROUGHPUT_FRACTION = 0.8;
const WINDOW_MS = 2_000;

export interface RoundReport {
  fault: string;
  round: number;
  /** From the kill (or the SIGCONT) to the first answer to a fresh request (a probe). */
  firstMs: number | null;
  /** From the kill (or the SIGCONT) to the end of the first 2 s window at ≥ 80 % of the baseline. */
  fullMs: number | null;
  baselinePerSecond: number;
  /** Model calls in flight when the fault struck (±0.5 s), and how many were made again. */
  inFlightCalls: number;
  rerunCalls: number;
  restarts: Record<string, number>;
}

export interface ChaosReport {
  target: string;
  startedAt: string;
  rounds: RoundReport[];
  totals: {
    requests: number;
    accepted: number;
    /** Requests never accepted (the client gave up): must be 0. */
    notAccepted: number;
    /** Accepted jobs that did not complete: must be 0. */
    lost: number;
    /** Requests that got more than one job id, or job ids with more than one execution. */
    duplicates: number;
    /** runTask executions still running on the task queue after the drain. */
    leftRunning: number;
    /** Requests answered with a non-retryable error. */
    errors: string[];
    modelCalls: number;
    rerunCalls: number;
    /**
     * Why each re-run happened: the earlier call was open when a fault struck (±0.5 s); it ran
     * between a fault and full recovery (restarted parts, workflow tasks timing out); or Keel's
     * own deadline cut it (closed by the client) and the retry policy made it again.
     */
    reruns: { atFault: number; inRecovery: number; afterTimeout: number };
    /** Re-runs with none of those causes: must be 0. */
    unexplainedReruns: number;
    /** Up to 5 of them: each call's start and end relative to the nearest fault, for a person. */
    unexplained: string[];
    /**
     * Model calls the jobs' meta.attempts account for: a call cut off by a kill is, once its
     * retry has charged it (meta.interrupted); one the sweep charged (no retry) is not.
     */
    accountedCalls: number;
    /**
     * Calls the upstream answered (a vendor bills them) that no job's meta counts: their answer
     * reached a worker that died before its workflow recorded it, and no retry charged them.
     */
    billedNotAccounted: number;
  };
}

interface FaultWindow {
  fault: string;
  round: number;
  from: number;
  to: number;
  /** When full throughput was back (or the cap): until then, a re-run is the fault's doing. */
  healedAt: number;
}

export async function runChaos(
  target: ChaosTarget,
  mock: MockUpstream,
  options: ChaosOptions,
): Promise<ChaosReport> {
  const say = options.progress ?? (() => undefined);
  const faults = target.faults.filter((f) => !options.faults || options.faults.includes(f.name));
  const unknown = (options.faults ?? []).filter((n) => !target.faults.some((f) => f.name === n));
  if (unknown.length)
    throw new Error(
      `unknown fault ${unknown.join(', ')}; this target has ${target.faults.map((f) => f.name).join(', ')}`,
    );
  const baselineMs = options.baselineMs ?? 5_000;
  const capMs = options.recoveryCapMs ?? 90_000;
  const startedAt = new Date().toISOString();
  mock.clearAttempts();
  const load = new Load({
    apis: target.apis,
    apiKey: target.apiKey,
    syncCallers: options.syncCallers ?? 4,
    asyncPerSecond: options.asyncPerSecond ?? 3,
    route: ['openai:slow'],
  });
  load.start();
  const rounds: RoundReport[] = [];
  const windows: FaultWindow[] = [];
  const total = faults.length * options.rounds;
  try {
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const fault of faults) {
        await allRunning(target, capMs);
        await sleep(baselineMs);
        const now = Date.now();
        const baselinePerSecond = (load.completions(now - baselineMs, now) * 1_000) / baselineMs;
        const before = target.state();
        const window = await inject(target, fault);
        const recovery = await recover(load, window.to, baselinePerSecond, capMs);
        windows.push({
          fault: fault.name,
          round,
          ...window,
          healedAt: window.to + (recovery.fullMs ?? capMs),
        });
        await allRunning(target, capMs);
        const after = target.state();
        // A frozen part that exits after SIGCONT (Node has aborted once on a corrupted async-hook
        // stack after a long stop) is a second fault: the calls it held are cut off at its exit.
        if (fault.signal === 'SIGSTOP')
          for (const p of fault.parts) {
            const exited = after.parts[p]?.lastExitAt;
            if (!exited || exited === before.parts[p]?.lastExitAt) continue;
            const at = Date.parse(exited);
            windows.push({
              fault: `${fault.name}: ${p} exited after resume`,
              round,
              from: at,
              to: at,
              healedAt: Date.now(),
            });
          }
        const restarts = Object.fromEntries(
          fault.parts.map((p) => [
            p,
            (after.parts[p]?.restarts ?? 0) - (before.parts[p]?.restarts ?? 0),
          ]),
        );
        const report: RoundReport = {
          fault: fault.name,
          round,
          ...recovery,
          baselinePerSecond: round1(baselinePerSecond),
          inFlightCalls: 0,
          rerunCalls: 0,
          restarts,
        };
        rounds.push(report);
        say(
          `[${rounds.length}/${total}] ${fault.name} (round ${round}): first answer ${fmt(report.firstMs)}, full throughput ${fmt(report.fullMs)} (baseline ${report.baselinePerSecond}/s)`,
        );
      }
    }
  } finally {
    say('load stopped; waiting for every accepted request');
    await load.stop();
  }
  say(`verifying ${load.records.length} requests against the API, Temporal and the upstream`);
  const totals = await ledger(target, mock, load.records, windows, rounds);
  return { target: target.name, startedAt, rounds, totals };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const fmt = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);

async function allRunning(target: ChaosTarget, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const parts = Object.values(target.state().parts);
    if (parts.every((p) => p.state === 'running')) return;
    await sleep(100);
  }
  throw new Error(
    `the supervisor did not bring every part back within ${timeoutMs} ms:\n${target.output().slice(-3_000)}`,
  );
}

/** Applies the fault; returns when it started and when it ended (the kill, or the SIGCONT). */
async function inject(target: ChaosTarget, fault: Fault): Promise<{ from: number; to: number }> {
  const pids = fault.parts.map((name) => {
    const pid = target.state().parts[name]?.pid;
    if (!pid) throw new Error(`no running part "${name}" in the supervisor's state`);
    return pid;
  });
  const from = Date.now();
  for (const pid of pids) process.kill(pid, fault.signal);
  if (fault.signal === 'SIGSTOP') {
    await sleep(fault.holdMs ?? 0);
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  return { from, to: Date.now() };
}

/**
 * From the end of the fault: the first answer to a probe (a fresh sync request every 500 ms, so
 * stuck callers do not hide a service that works again), and the end of the first 2 s window whose
 * answers reach 80 % of the baseline rate.
 */
async function recover(
  load: Load,
  at: number,
  baselinePerSecond: number,
  capMs: number,
): Promise<{ firstMs: number | null; fullMs: number | null }> {
  const target = FULL_THROUGHPUT_FRACTION * baselinePerSecond * (WINDOW_MS / 1_000);
  const probes: RequestRecord[] = [];
  let nextProbe = at;
  let firstMs: number | null = null;
  let fullMs: number | null = null;
  while (Date.now() - at < capMs && (firstMs === null || fullMs === null)) {
    if (firstMs === null && Date.now() >= nextProbe) {
      probes.push(load.probe());
      nextProbe += 500;
    }
    await sleep(100);
    if (firstMs === null) {
      const first = probes.reduce((min, r) => Math.min(min, r.completedAt ?? Infinity), Infinity);
      if (first !== Infinity) firstMs = first - at;
    }
    if (fullMs === null) {
      for (let t = at; t + WINDOW_MS <= Date.now(); t += 100) {
        if (load.completions(t, t + WINDOW_MS) >= target) {
          fullMs = t + WINDOW_MS - at;
          break;
        }
      }
    }
  }
  return { firstMs, fullMs };
}

const attemptEnd = (a: Attempt): number =>
  a.status === 0 && a.closedBy === undefined ? Infinity : Date.parse(a.at) + a.latencyMs;
/**
 * A call the fault could cut off: open at the moment it struck, give or take SLACK_MS. The mock's
 * timestamps come from a busy event loop (a request a dying worker sent arrives stamped a few
 * tens of ms late), and a local activity's answer is lost with the worker until the workflow task
 * that carries it completes, a moment after the call ended.
 */
const SLACK_MS = 500;
const inFlightAt = (a: Attempt, w: FaultWindow): boolean =>
  Date.parse(a.at) <= w.from + SLACK_MS && attemptEnd(a) >= w.from - SLACK_MS;

async function ledger(
  target: ChaosTarget,
  mock: MockUpstream,
  records: RequestRecord[],
  windows: FaultWindow[],
  rounds: RoundReport[],
): Promise<ChaosReport['totals']> {
  const accepted = records.filter((r) => r.acceptedAt !== undefined);
  const jobIds = [...new Set(accepted.flatMap((r) => [...r.jobIds]))];
  let duplicates = accepted.filter((r) => r.jobIds.size > 1).length;

  // Every accepted job completes: poll the API (any replica) until none is pending.
  const jobs = new Map<string, { status: string; attempts?: number }>();
  const deadline = Date.now() + 180_000;
  let pending = jobIds;
  while (pending.length && Date.now() < deadline) {
    const api = target.apis[0]!;
    for (const id of pending) {
      try {
        const res = await fetch(`${api}/v1/jobs/${id}`, {
          headers: { authorization: `Bearer ${target.apiKey}` },
        });
        if (res.ok) {
          const job = (await res.json()) as { status: string; meta?: { attempts?: number } };
          jobs.set(id, { status: job.status, attempts: job.meta?.attempts });
        }
      } catch {
        // the API may still be settling
      }
    }
    pending = jobIds.filter((id) => !['completed', 'failed'].includes(jobs.get(id)?.status ?? ''));
    if (pending.length) await sleep(1_000);
  }
  const lost = jobIds.filter((id) => jobs.get(id)?.status !== 'completed').length;

  // From Temporal itself: executions per job id, and any still running.
  const connection = await Connection.connect({ address: target.temporalAddress });
  let leftRunning = 0;
  try {
    // The raw list: the memos are encrypted under `npm start` (docs/encryption.md), and only ids
    // and statuses are counted here.
    const executions = new Map<string, number>();
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await connection.workflowService.listWorkflowExecutions({
        namespace: 'default',
        query: `${keelQueuesFilter(target.taskQueue)} AND WorkflowType = 'runTask'`,
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      for (const w of page.executions ?? []) {
        const id = w.execution?.workflowId ?? '';
        executions.set(id, (executions.get(id) ?? 0) + 1);
        if (
          w.status ===
          temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        )
          leftRunning += 1;
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    duplicates += [...executions.values()].filter((n) => n > 1).length;
  } finally {
    await connection.close();
  }

  // The upstream's ledger: calls per task, and whether each repeat was cut off by a fault.
  const attempts = mock.attempts();
  const byMarker = new Map<string, Attempt[]>();
  for (const a of attempts) {
    const text = JSON.stringify(a.request ?? '');
    const m = /chaos \w+ ticket \d+ /.exec(text);
    if (!m) continue;
    byMarker.set(m[0], [...(byMarker.get(m[0]) ?? []), a]);
  }
  // Each call that was made again (all but a task's last) gets its cause, first match wins.
  const causes = { atFault: 0, inRecovery: 0, afterTimeout: 0, unexplained: 0 };
  const unexplained: string[] = [];
  for (const [marker, calls] of byMarker) {
    for (const a of calls.slice(0, -1)) {
      const start = Date.parse(a.at);
      if (windows.some((w) => inFlightAt(a, w))) causes.atFault += 1;
      else if (windows.some((w) => start <= w.healedAt && attemptEnd(a) >= w.from - SLACK_MS))
        causes.inRecovery += 1;
      else if (a.closedBy === 'client') causes.afterTimeout += 1;
      else {
        causes.unexplained += 1;
        if (unexplained.length >= 5) continue;
        const w = windows.reduce((x, y) =>
          Math.abs(y.from - start) < Math.abs(x.from - start) ? y : x,
        );
        unexplained.push(
          `${marker.trim()}: ${calls
            .map(
              (c) =>
                `[${Date.parse(c.at) - w.from}..${attemptEnd(c) - w.from} ms, ${c.status}${c.closedBy ? ` closed by ${c.closedBy}` : ''}]`,
            )
            .join(' ')} relative to ${w.fault} (round ${w.round}, lasted ${w.to - w.from} ms)`,
        );
      }
    }
  }
  for (const report of rounds) {
    const w = windows.find((x) => x.fault === report.fault && x.round === report.round)!;
    for (const calls of byMarker.values()) {
      const cut = calls.filter((a) => inFlightAt(a, w)).length;
      report.inFlightCalls += cut;
      if (cut > 0 && calls.length > 1) report.rerunCalls += Math.min(cut, calls.length - 1);
    }
  }
  const accountedCalls = [...jobs.values()].reduce((n, j) => n + (j.attempts ?? 0), 0);
  // Calls a vendor would bill (the mock answered them) beyond what the job's meta counts: answers
  // that reached a worker that died before its workflow recorded them.
  let billedNotAccounted = 0;
  for (const r of accepted) {
    const billed = (byMarker.get(r.marker) ?? []).filter((a) => a.billed).length;
    const attempts = jobs.get([...r.jobIds][0] ?? '')?.attempts ?? 0;
    billedNotAccounted += Math.max(0, billed - attempts);
  }
  return {
    requests: records.length,
    accepted: accepted.length,
    notAccepted: records.length - accepted.length - records.filter((r) => r.errors.length).length,
    lost,
    duplicates,
    leftRunning,
    errors: records.flatMap((r) => r.errors.map((e) => `${r.key}: ${e}`)),
    modelCalls: [...byMarker.values()].reduce((n, c) => n + c.length, 0),
    rerunCalls: causes.atFault + causes.inRecovery + causes.afterTimeout + causes.unexplained,
    reruns: {
      atFault: causes.atFault,
      inRecovery: causes.inRecovery,
      afterTimeout: causes.afterTimeout,
    },
    unexplainedReruns: causes.unexplained,
    unexplained,
    accountedCalls,
    billedNotAccounted,
  };
}
