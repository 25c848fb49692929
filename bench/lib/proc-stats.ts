import { readdirSync, readFileSync } from 'node:fs';
import type { RssSeries } from '../results-schema';

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; 0 once it is gone). */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state …`: comm may contain spaces, so count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * CPU time (user + system, ms) of each thread of a process so far, summed by thread name
 * (`comm`: `node` for V8's and libuv's helpers, `tokio-runtime-w` for Temporal's core, …); the
 * main thread is `main`. Linux /proc; empty once the process is gone.
 */
export function threadCpuMs(pid: number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (pid === undefined) return out;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name =
        tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * 10;
      out.set(name, (out.get(name) ?? 0) + ms);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** Resident set size of a process in MB (Linux /proc), or undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Samples the RSS of every registered process once a second for the whole run: gateways,
 * Temporal, Keel's worker and API, the upstreams, and the benchmark driver itself.
 */
export class RssSampler {
  private readonly series = new Map<string, RssSeries>();
  private readonly sources = new Map<string, () => number[]>();
  private readonly started = performance.now();
  private timer: NodeJS.Timeout | undefined;

  /** `pids` may change over time (a gateway's workers): the sum over them is recorded. */
  track(name: string, pids: () => Array<number | undefined>): void {
    this.sources.set(name, () => pids().filter((p): p is number => p !== undefined));
  }

  start(everyMs = 1_000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    const tS = Math.round((performance.now() - this.started) / 100) / 10;
    for (const [name, pids] of this.sources) {
      const values = pids()
        .map(rssMb)
        .filter((v): v is number => v !== undefined);
      if (values.length === 0) continue;
      const rss = Math.round(values.reduce((a, b) => a + b, 0) * 10) / 10;
      const s = this.series.get(name) ?? { process: name, samples: [], peakMb: 0 };
      s.samples.push({ tS, rssMb: rss });
      s.peakMb = Math.max(s.peakMb, rss);
      this.series.set(name, s);
    }
  }

  /** One process's samples taken since `sinceMs` (a `performance.now()` mark), times from then. */
  window(name: string, sinceMs: number): Array<{ tS: number; rssMb: number }> {
    const offsetS = (sinceMs - this.started) / 1000;
    return (this.series.get(name)?.samples ?? [])
      .filter((s) => s.tS >= offsetS)
      .map((s) => ({ tS: Math.round((s.tS - offsetS) * 10) / 10, rssMb: s.rssMb }));
  }

  stop(): RssSeries[] {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return [...this.series.values()];
  }
}
