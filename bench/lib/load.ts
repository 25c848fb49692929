import type { BenchRequest, BenchSystem, Outcome, TimedOutcome } from './systems';

/** Runs `requests` through `system`, `concurrency` at a time; outcomes in request order. */
export async function closedLoop<Req, Out extends TimedOutcome>(
  system: BenchSystem<Req, Out>,
  requests: readonly Req[],
  concurrency: number,
): Promise<Out[]> {
  const outcomes: Out[] = new Array<Out>(requests.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, requests.length) }, async () => {
      while (next < requests.length) {
        const i = next++;
        outcomes[i] = await system.send(requests[i]!);
      }
    }),
  );
  return outcomes;
}

/**
 * Closed loop for a fixed time: `concurrency` callers, each sending its next request as soon as
 * the previous one answered, none started after `seconds`. Outcomes in completion order; `wallMs`
 * from the start to the last answer.
 */
export async function timedLoop<Req, Out extends TimedOutcome>(
  system: BenchSystem<Req, Out>,
  request: (i: number) => Req,
  concurrency: number,
  seconds: number,
): Promise<{ outcomes: Out[]; wallMs: number }> {
  const outcomes: Out[] = [];
  const started = performance.now();
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - started < seconds * 1000)
        outcomes.push(await system.send(request(i++)));
    }),
  );
  return { outcomes, wallMs: performance.now() - started };
}

export interface OpenLoopResult {
  sent: number;
  /** Not sent because `maxInFlight` requests were already waiting: counted as errors. */
  dropped: number;
  outcomes: Outcome[];
  /** From the first send to the last answer. */
  wallMs: number;
}

/**
 * Open loop: request i leaves at start + i/rate whether or not earlier ones have answered, so a
 * slow system sees its queue grow instead of the load generator politely slowing down (closed
 * loops hide saturation). Bounded: at most `maxInFlight` outstanding, each with its own timeout
 * (inside `system.send`), and nothing is sent after `durationS`.
 */
export async function openLoop(
  system: BenchSystem,
  request: (i: number) => BenchRequest,
  ratePerSec: number,
  durationS: number,
  maxInFlight: number,
): Promise<OpenLoopResult> {
  const total = Math.round(ratePerSec * durationS);
  const outcomes: Outcome[] = [];
  const pending = new Set<Promise<void>>();
  let sent = 0;
  let dropped = 0;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (pending.size >= maxInFlight) {
      dropped++;
      continue;
    }
    sent++;
    const p = system.send(request(i)).then((o) => {
      outcomes.push(o);
      pending.delete(p);
    });
    pending.add(p);
  }
  await Promise.all(pending);
  return { sent, dropped, outcomes, wallMs: performance.now() - start };
}
