/**
 * The fault-injecting mock upstream as the side-by-side benchmarks run it: one process per system
 * (so attempt logs and stateful scenarios stay apart, and its CPU is not the driver's), plus the
 * calls to its control endpoints.
 */
import { freePort } from '../../test/support/free-port';
import { startTs, waitFor, type RunningProcess } from '../../test/support/processes';

export interface Upstream {
  url: string;
  proc: RunningProcess;
}

/** The mock's command-line options (test/mock-upstream/main.ts). */
export interface UpstreamOptions {
  slowMedianMs: number;
  slowP99Ms: number;
  /** How long `slow-ttft` waits before its first byte. */
  ttftMs: number;
  flapPeriodMs: number;
  /** How long `trickle` takes to send a whole body, a few bytes every 200 ms. */
  trickleMs?: number;
}

export async function startUpstream(seed: number, options: UpstreamOptions): Promise<Upstream> {
  const port = await freePort();
  const proc = startTs('test/mock-upstream/main.ts', {}, [
    `--port=${port}`,
    `--seed=${seed}`,
    `--slow-median-ms=${options.slowMedianMs}`,
    `--slow-p99-ms=${options.slowP99Ms}`,
    `--ttft-ms=${options.ttftMs}`,
    `--flap-period-ms=${options.flapPeriodMs}`,
    ...(options.trickleMs !== undefined ? [`--trickle-ms=${options.trickleMs}`] : []),
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('mock upstream', async () => (await fetch(`${url}/_mock/scenarios`)).ok, {
    timeoutMs: 60_000,
    process: proc,
  });
  return { url, proc };
}

export async function upstreamLog(
  u: Upstream,
): Promise<Array<{ billed: boolean; inputTokens: number; outputTokens: number }>> {
  const res = await fetch(`${u.url}/_mock/attempts`);
  return (
    (await res.json()) as {
      attempts: Array<{ billed: boolean; inputTokens: number; outputTokens: number }>;
    }
  ).attempts;
}

export const clearLog = async (u: Upstream): Promise<void> => {
  await fetch(`${u.url}/_mock/attempts`, { method: 'DELETE' });
};

export const setLatency = async (u: Upstream, latencyMs: number): Promise<void> => {
  const res = await fetch(`${u.url}/_mock/latency`, {
    method: 'PUT',
    body: JSON.stringify({ latencyMs }),
  });
  if (!res.ok) throw new Error(`mock latency: ${res.status}`);
};
