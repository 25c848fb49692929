/**
 * `npm run bench [-- --quick] [--passes overhead,floor,load,faults,memory] [--long-minutes N]
 * [--two-process]` (Keel runs as `npm start` runs it, its worker in the API process, unless
 * `--two-process`)
 *
 * Keel side by side with the same request sent directly with the openai SDK, through Portkey's
 * gateway (npm) and through the LiteLLM proxy (PyPI, in a venv this script creates), all against
 * the fault-injecting upstream on loopback (one upstream process per system, so attempt logs and
 * stateful scenarios stay apart). The floor pass runs Temporal's floor of the shape Keel runs on
 * Keel's own Temporal server, interleaved with Keel (bench/floor/pass.ts); the load pass
 * measures each system's closed-loop capacity before the open-loop rates. Systems take turns round by round so machine drift hits all
 * alike; p50s are medians of round medians. Bounded in count and time; never part of `npm test`.
 *
 * Writes bench/results/<timestamp>.json, bench/results/latest.json and bench/results/latest.html.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { classifyTicket } from '../shared/tasks/classify-ticket';
import { SCENARIOS, seededRandom } from '../test/mock-upstream/scenarios';
import { ROOT, stop } from '../test/support/processes';
import { upstreamEnv } from '../test/support/upstream-env';
import { writeBenchChart } from './chart';
import { floorPass } from './floor/pass';
import { startFloorRunner } from './floor/runner';
import { closedLoop, openLoop, timedLoop } from './lib/load';
import { RssSampler } from './lib/proc-stats';
import { goodput, refusals } from './lib/ratios';
import { runInfo } from './lib/run-info';
import { latencyStats, median, quantiles, round2 } from './lib/stats';
import {
  TICKETS,
  directSystem,
  isValidAnswer,
  keelSystem,
  peerSystem,
  type BenchRequest,
  type BenchSystem,
  type Outcome,
} from './lib/systems';
import {
  clearLog,
  setLatency,
  startUpstream as startMockProcess,
  upstreamLog,
  type Upstream,
} from './lib/upstream';
import { startLiteLLM } from './peers/litellm';
import { startPortkey } from './peers/portkey';
import type { Peer, PeerPolicy } from './peers/types';
import type {
  BenchResults,
  CapacityPass,
  FaultMixPass,
  FaultMixSystem,
  LoadPass,
  LoadSystem,
  OverheadPass,
  SystemName,
  TargetCheck,
} from './results-schema';
import { drainRuns, startBenchStack, type BenchStack } from './stack';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    passes: { type: 'string', default: 'overhead,floor,load,faults,memory' },
    /**
     * Keel as `npm start` runs it: the worker in the API process (KEEL_EMBEDDED_WORKER=true,
     * eager start). The default; `--two-process` runs a worker process beside the API instead.
     */
    embedded: { type: 'boolean', default: true },
    'two-process': { type: 'boolean', default: false },
    'long-minutes': { type: 'string' },
    seed: { type: 'string', default: '20261129' },
    /** While working on one system: e.g. `--systems direct,keel` (direct is the reference). */
    systems: { type: 'string', default: 'direct,keel,portkey,litellm' },
  },
  strict: true,
});
const QUICK = flags.quick;
const EMBEDDED = flags.embedded && !flags['two-process'];
const PASSES = new Set(flags.passes.split(','));
const SEED = Number(flags.seed);
const ONLY = new Set(flags.systems.split(','));

/** Every count and limit of a run, full and --quick. Recorded in the results. */
const SETTINGS = {
  overhead: {
    upstreamLatenciesMs: [0, 50],
    rounds: QUICK ? 4 : 15,
    perRound: QUICK ? 12 : 40,
  },
  cacheHits: QUICK ? 100 : 500,
  /** Interleaved one by one (direct, Keel, Portkey, the floor) at 0 ms upstream; then C callers. */
  floor: {
    rounds: QUICK ? 3 : 10,
    perRound: QUICK ? 6 : 20,
    concurrency: 16,
    seconds: QUICK ? 2 : 5,
    throughputRounds: QUICK ? 1 : 3,
  },
  /** Closed-loop capacity of each system (C callers for T s), the open loop's yardstick. */
  capacity: { concurrency: 16, seconds: QUICK ? 3 : 10 },
  /** classify-ticket's maxSyncMs: accepted requests' p99 should stay within it. */
  envelopeMs: classifyTicket.envelope.maxSyncMs,
  load: {
    ratesPerSec: QUICK ? [50, 200] : [50, 100, 200, 400],
    durationS: QUICK ? 4 : 30,
    maxInFlight: 1_000,
    requestTimeoutMs: 15_000,
  },
  faults: {
    /** Each round sends every scenario once, in a seeded order. */
    rounds: QUICK ? 1 : 6,
    concurrency: 9,
    requestTimeoutMs: 60_000,
  },
  longRun: {
    minutes: Number(flags['long-minutes'] ?? (QUICK ? 0.3 : 10)),
    maxTasks: 100_000,
    concurrency: 8,
  },
  /** The gateways' retry/fallback policy; direct gets the same retries from the SDK. */
  policy: { attemptsPerTarget: 2, timeoutMs: 2_500, retryOnStatus: [429, 500, 502, 503, 504] },
  upstream: { slowMedianMs: 300, slowP99Ms: 1_500, ttftMs: 1_500, flapPeriodMs: 2_000 },
} as const;
const POLICY: PeerPolicy = {
  ...SETTINGS.policy,
  retryOnStatus: [...SETTINGS.policy.retryOnStatus],
};

const log = (line: string): void =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
const SCENARIO_NAMES = SCENARIOS.map((s) => s.name);

const startUpstream = (seed: number): Promise<Upstream> =>
  startMockProcess(seed, SETTINGS.upstream);

/** Rotates the systems' order each round, so none always goes first (or right after Keel). */
const rotate = <T>(xs: readonly T[], by: number): T[] =>
  xs.map((_, i) => xs[(i + by) % xs.length]!);

function shuffle<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const okRequest = (i: number): BenchRequest => ({
  input: TICKETS[i % TICKETS.length]!,
  primary: 'ok',
});

// ---------------------------------------------------------------------------------------------

async function overheadPass(
  systems: BenchSystem[],
  upstreams: Map<SystemName, Upstream>,
  latencyMs: number,
): Promise<OverheadPass> {
  const { rounds, perRound } = SETTINGS.overhead;
  for (const u of upstreams.values()) await setLatency(u, latencyMs);
  const samples = new Map<SystemName, number[]>();
  const roundMedians = new Map<SystemName, number[]>();
  const headers: number[] = [];
  const errors = new Map<SystemName, number>();
  for (let r = 0; r < rounds; r++) {
    for (const system of rotate(systems, r)) {
      const reqs = Array.from({ length: perRound }, (_, i) => okRequest(r * perRound + i));
      const outcomes = await closedLoop(system, reqs, 1);
      const ok = outcomes.filter((o) => o.ok);
      errors.set(system.name, (errors.get(system.name) ?? 0) + outcomes.length - ok.length);
      const ms = ok.map((o) => o.ms);
      samples.set(system.name, [...(samples.get(system.name) ?? []), ...ms]);
      roundMedians.set(system.name, [...(roundMedians.get(system.name) ?? []), median(ms)]);
      for (const o of ok) if (o.keelOverheadMs !== undefined) headers.push(o.keelOverheadMs);
    }
  }
  const direct = samples.get('direct') ?? [];
  const directRounds = roundMedians.get('direct') ?? [];
  const pass: OverheadPass = { upstreamLatencyMs: latencyMs, rounds, perRound, systems: {} };
  for (const system of systems) {
    const mine = samples.get(system.name) ?? [];
    const stats = {
      ...latencyStats(mine),
      p50: round2(median(roundMedians.get(system.name) ?? [])),
    };
    const directStats = latencyStats(direct);
    // Added p50: the median over rounds of (this system's round median − direct's, same round).
    const paired = (roundMedians.get(system.name) ?? []).map(
      (m, i) => m - (directRounds[i] ?? NaN),
    );
    pass.systems[system.name] = {
      latency: stats,
      quantiles: quantiles(mine),
      addedMs:
        system.name === 'direct'
          ? null
          : {
              p50: round2(median(paired)),
              p90: round2(stats.p90 - directStats.p90),
              p99: round2(stats.p99 - directStats.p99),
            },
      errors: errors.get(system.name) ?? 0,
      ...(system.name === 'keel' ? { keelHeaderMs: latencyStats(headers) } : {}),
    };
  }
  for (const u of upstreams.values()) await setLatency(u, 0);
  return pass;
}

async function cacheHitPass(stack: BenchStack): Promise<{ client: number[]; header: number[] }> {
  const body = JSON.stringify({
    input: TICKETS[0],
    options: { route: ['openai:ok'], cacheTtlMs: 600_000 },
  });
  const post = () => stack.call('/v1/tasks/classify-ticket', { method: 'POST', body });
  const first = await post();
  if (first.status !== 200) throw new Error(`cache warm-up: ${first.status}`);
  await first.arrayBuffer();
  const client: number[] = [];
  const header: number[] = [];
  for (let i = 0; i < SETTINGS.cacheHits; i++) {
    const started = performance.now();
    const res = await post();
    const json = (await res.json()) as { meta?: { path?: string } };
    client.push(performance.now() - started);
    if (json.meta?.path !== 'cache')
      throw new Error(`expected a cache hit, got ${json.meta?.path}`);
    header.push(Number(res.headers.get('x-keel-overhead-ms')));
  }
  return { client, header };
}

/** After Keel's turn at a rate, wait until its backlog is gone so the next system runs alone. */
async function drainKeel(temporal: Client): Promise<void> {
  if (!(await drainRuns(temporal))) log('keel backlog still running after 180 s; moving on');
}

/** Each system's closed-loop capacity: C callers for T s, answers per second. */
async function capacityPass(systems: BenchSystem[], temporal: Client): Promise<CapacityPass> {
  const { concurrency, seconds } = SETTINGS.capacity;
  const pass: CapacityPass = { concurrency, seconds, systems: {} };
  for (const system of systems) {
    const { outcomes, wallMs } = await timedLoop(system, okRequest, concurrency, seconds);
    const ms = outcomes.filter((o) => o.ok).map((o) => o.ms);
    if (system.name === 'keel') await drainKeel(temporal);
    pass.systems[system.name] = {
      perSec: round2((ms.length / wallMs) * 1000),
      errors: outcomes.length - ms.length,
      latency: latencyStats(ms),
    };
    log(`capacity ${system.name}: ${pass.systems[system.name]!.perSec}/s closed loop`);
  }
  return pass;
}

async function loadPass(
  systems: BenchSystem[],
  rate: number,
  temporal: Client,
  round: number,
  capacity: CapacityPass,
): Promise<LoadPass> {
  const { durationS, maxInFlight } = SETTINGS.load;
  const pass: LoadPass = { ratePerSec: rate, durationS, systems: {} };
  for (const system of rotate(systems, round)) {
    const r = await openLoop(system, okRequest, rate, durationS, maxInFlight);
    if (system.name === 'keel') await drainKeel(temporal);
    const ok = r.outcomes.filter((o) => o.ok);
    const errors = r.outcomes.length - ok.length + r.dropped;
    const ms = ok.map((o) => o.ms);
    const result: LoadSystem = {
      offeredPerSec: rate,
      achievedPerSec: round2((ok.length / Math.max(r.wallMs, durationS * 1000)) * 1000),
      sent: r.sent,
      ok: ok.length,
      errors,
      errorRate: round2(errors / (r.sent + r.dropped)),
      latency: latencyStats(ms),
      quantiles: quantiles(ms),
      refusals: refusals(r.outcomes, r.dropped),
    };
    const cap = capacity.systems[system.name]?.perSec;
    let achieved = '';
    if (cap) {
      result.goodput = goodput(result.achievedPerSec, rate, cap);
      achieved = ` (${result.goodput.vsExpected}× of min(offered, capacity ${cap}/s))`;
    }
    pass.systems[system.name] = result;
    const ref = result.refusals!;
    log(
      `load ${rate}/s ${system.name}: ${result.achievedPerSec}/s achieved${achieved}, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${errors}` +
        (errors
          ? `, ${ref.refused503WithRetryAfter} of them 503 + Retry-After (p50 ${ref.latency.p50} ms); ` +
            Object.entries(ref.byKind)
              .map(([kind, n]) => `${kind}: ${n}`)
              .join(', ')
          : ''),
    );
  }
  return pass;
}

interface FaultTally {
  outcomes: Array<{ scenario: string; outcome: Outcome; valid: boolean }>;
}

async function faultMixPass(
  systems: BenchSystem[],
  upstreams: Map<SystemName, Upstream>,
  keelStack: BenchStack | undefined,
): Promise<FaultMixPass> {
  const random = seededRandom(SEED);
  const { rounds, concurrency } = SETTINGS.faults;
  const schedule = Array.from({ length: rounds }, () => shuffle(SCENARIO_NAMES, random));
  const request = (scenario: string, i: number): BenchRequest => ({
    input: TICKETS[i % TICKETS.length]!,
    primary: scenario,
    fallback: 'ok',
  });
  const run = async (faulty: boolean) => {
    const tallies = new Map<SystemName, FaultTally>();
    const usage = new Map<SystemName, { attempts: number; tokens: number }>();
    for (const u of upstreams.values()) await clearLog(u);
    for (const [r, order] of schedule.entries()) {
      for (const system of rotate(systems, r)) {
        const names = faulty ? order : order.map(() => 'ok');
        const outcomes = await closedLoop(
          system,
          names.map((s, i) => request(s, r * names.length + i)),
          concurrency,
        );
        const tally = tallies.get(system.name) ?? { outcomes: [] };
        outcomes.forEach((outcome, i) => {
          const req = request(names[i]!, r * names.length + i);
          tally.outcomes.push({
            scenario: names[i]!,
            outcome,
            valid: isValidAnswer(req.input, outcome),
          });
        });
        tallies.set(system.name, tally);
      }
    }
    // Keel's retries and fallbacks may still be in flight for errored requests: let them land.
    if (keelStack) await new Promise((r) => setTimeout(r, 1_000));
    for (const system of systems) {
      const attempts = await upstreamLog(upstreams.get(system.name)!);
      usage.set(system.name, {
        attempts: attempts.length,
        tokens: attempts
          .filter((a) => a.billed)
          .reduce((n, a) => n + a.inputTokens + a.outputTokens, 0),
      });
    }
    return { tallies, usage };
  };
  log('fault mix: fault-free baseline');
  const baseline = await run(false);
  log('fault mix: every scenario');
  const faults = await run(true);
  const pass: FaultMixPass = {
    seed: SEED,
    requests: rounds * SCENARIO_NAMES.length,
    scenarios: SCENARIO_NAMES,
    systems: {},
  };
  for (const system of systems) {
    const t = faults.tallies.get(system.name)!;
    const u = faults.usage.get(system.name)!;
    const b = baseline.tallies.get(system.name)!;
    const bu = baseline.usage.get(system.name)!;
    const valid = t.outcomes.filter((o) => o.valid).length;
    const errors = t.outcomes.filter((o) => !o.outcome.ok).length;
    const baseValid = b.outcomes.filter((o) => o.valid).length;
    const tokensPerValid = valid ? u.tokens / valid : NaN;
    const faultFree = baseValid ? bu.tokens / baseValid : NaN;
    const perScenario: FaultMixSystem['perScenario'] = {};
    for (const o of t.outcomes) {
      const s = (perScenario[o.scenario] ??= { requests: 0, valid: 0, invalid: 0, errors: 0 });
      s.requests++;
      if (o.valid) s.valid++;
      else if (o.outcome.ok) s.invalid++;
      else s.errors++;
    }
    pass.systems[system.name] = {
      requests: t.outcomes.length,
      valid,
      invalid: t.outcomes.length - valid - errors,
      errors,
      validShare: round2((valid / t.outcomes.length) * 1000) / 1000,
      latency: latencyStats(t.outcomes.map((o) => o.outcome.ms)),
      attemptsPerResult: round2(u.attempts / t.outcomes.length),
      tokensPerValid: round2(tokensPerValid),
      faultFreeTokensPerValid: round2(faultFree),
      tokensRatio: round2(tokensPerValid / faultFree),
      perScenario,
      ...(system.name === 'keel'
        ? { degraded: t.outcomes.filter((o) => o.outcome.keelPath === 'degraded').length }
        : {}),
    };
  }
  return pass;
}

async function longRun(stack: BenchStack, sampler: RssSampler) {
  const { minutes, maxTasks, concurrency } = SETTINGS.longRun;
  const keel = keelSystem(stack.base, stack.apiKey, 60_000);
  const deadline = performance.now() + minutes * 60_000;
  const started = performance.now();
  let tasks = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && tasks < maxTasks) {
        const i = tasks++;
        const o = await keel.send({
          input: TICKETS[i % TICKETS.length]!,
          primary: 'local',
          keelRoute: ['local:keel-local-1'],
        });
        if (!o.ok) failures++;
      }
    }),
  );
  // The run-wide sampler already records the worker every second: the long run is its window.
  const samples = sampler.window('keel worker', started);
  const durationS = (performance.now() - started) / 1000;
  // Growth: the median of the last tenth of the run against the median of the tenth after a
  // warm-up fifth (JIT, caches and the sticky workflow cache filling up).
  const window = (from: number, to: number) =>
    median(
      samples.filter((s) => s.tS >= from * durationS && s.tS <= to * durationS).map((s) => s.rssMb),
    );
  const startMb = window(0.2, 0.3);
  const endMb = window(0.9, 1);
  return {
    tasks,
    failures,
    durationS: round2(durationS),
    tasksPerSec: round2(tasks / durationS),
    worker: {
      startMb: round2(startMb),
      endMb: round2(endMb),
      peakMb: round2(Math.max(...samples.map((s) => s.rssMb))),
      growthPct: round2(((endMb - startMb) / startMb) * 100),
      samples,
    },
  };
}

// ---------------------------------------------------------------------------------------------

function targets(r: BenchResults, longRunFailures: number | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const pass of r.overhead) {
    const keel = pass.systems.keel?.addedMs;
    const portkey = pass.systems.portkey?.addedMs;
    if (keel && portkey) {
      checks.push({
        name: `overhead p50 @ ${pass.upstreamLatencyMs} ms upstream`,
        target: `Keel added p50 ≤ Portkey's (${portkey.p50} ms)`,
        value: `${keel.p50} ms (${round2(keel.p50 / Math.max(portkey.p50, 0.01))}×)`,
        met: keel.p50 <= portkey.p50,
      });
      checks.push({
        name: `overhead p99 @ ${pass.upstreamLatencyMs} ms upstream`,
        target: `Keel added p99 ≤ 2 × Portkey's (${round2(2 * portkey.p99)} ms)`,
        value: `${keel.p99} ms`,
        met: keel.p99 <= 2 * portkey.p99,
      });
    }
  }
  if (r.cacheHitHeader) {
    checks.push({
      name: 'cache hit',
      target: '≤ 1 ms (x-keel-overhead-ms p50)',
      value: `${r.cacheHitHeader.p50} ms in Keel; ${r.cacheHit?.p50} ms at the client`,
      met: r.cacheHitHeader.p50 <= 1,
    });
  }
  const fl = r.floor;
  if (fl) {
    const x = (v: number | null): string => (v === null ? '—' : `${v}×`);
    checks.push({
      name: "added p50 vs the floor of Keel's shape",
      target: "≤ 1.3 × the floor's p50",
      value: `${fl.keel.addedMs.p50} ms vs ${fl.floor.latency.p50} ms (${x(fl.ratios.addedP50VsFloor)})`,
      met: fl.ratios.addedP50VsFloor !== null && fl.ratios.addedP50VsFloor <= 1.3,
    });
    checks.push({
      name: "added p99 vs the floor of Keel's shape",
      target: "≤ 1.5 × the floor's p99",
      value: `${fl.keel.addedMs.p99} ms vs ${fl.floor.latency.p99} ms (${x(fl.ratios.addedP99VsFloor)})`,
      met: fl.ratios.addedP99VsFloor !== null && fl.ratios.addedP99VsFloor <= 1.5,
    });
    checks.push({
      name: 'closed-loop throughput vs the floor',
      target: "≥ 0.8 × the floor's runs/s",
      value: `${fl.keel.throughputPerSec}/s vs ${fl.floor.throughputPerSec}/s (${x(fl.ratios.throughputVsFloor)})`,
      met: fl.ratios.throughputVsFloor !== null && fl.ratios.throughputVsFloor >= 0.8,
    });
  }
  const keelOpen = r.load
    .map((p) => ({ rate: p.ratePerSec, s: p.systems.keel }))
    .filter((p): p is { rate: number; s: LoadSystem } => !!p.s);
  for (const { rate, s } of keelOpen) {
    if (s.goodput) {
      checks.push({
        name: `open loop ${rate}/s: goodput`,
        target: `≥ 0.8 × min(offered, closed-loop capacity ${s.goodput.capacityPerSec}/s)`,
        value: `${s.achievedPerSec}/s (${s.goodput.vsExpected}×)`,
        met: s.goodput.vsExpected !== null && s.goodput.vsExpected >= 0.8,
      });
    }
    const ref = s.refusals;
    if (ref && ref.errors > 0) {
      checks.push({
        name: `open loop ${rate}/s: excess refused at once`,
        target: 'every error a 503 with Retry-After',
        value: `${ref.refused503WithRetryAfter}/${ref.errors} (p50 ${ref.latency.p50} ms to refuse)`,
        met: ref.refused503WithRetryAfter === ref.errors,
      });
    }
    checks.push({
      name: `open loop ${rate}/s: accepted p99`,
      target: `within the envelope (${SETTINGS.envelopeMs} ms)`,
      value: `${s.latency.p99} ms`,
      met: s.latency.n > 0 && s.latency.p99 <= SETTINGS.envelopeMs,
    });
  }
  const keelLoad = r.load
    .map((p) => p.systems.keel)
    .filter((s): s is LoadSystem => !!s && s.errorRate <= 0.01);
  if (r.load.length) {
    const best = Math.max(0, ...keelLoad.map((s) => s.achievedPerSec));
    checks.push({
      name: 'sustained throughput',
      target: '≥ 200 tasks/s with ≤ 1 % errors (2 cores, Temporal included)',
      value: `${best} tasks/s`,
      met: best >= 200,
    });
  }
  const fm = r.faultMix?.systems.keel;
  if (fm) {
    checks.push({
      name: 'fault mix: valid results',
      target: '≥ 99.9 %',
      value: `${round2(fm.validShare * 100)} % (${fm.valid}/${fm.requests}; ${fm.degraded ?? 0} degraded)`,
      met: fm.validShare >= 0.999,
    });
    checks.push({
      name: 'fault mix: tokens per valid result',
      target: '≤ 1.2 × the fault-free run',
      value: `${fm.tokensRatio}× (${fm.tokensPerValid} vs ${fm.faultFreeTokensPerValid})`,
      met: fm.tokensRatio <= 1.2,
    });
  }
  const lr = r.memory.longRun;
  if (lr) {
    checks.push({
      name: 'worker RSS growth (long run)',
      target: '< 10 %',
      value: `${lr.worker.growthPct} % over ${lr.tasks} tasks in ${Math.round(lr.durationS)} s${longRunFailures ? `, ${longRunFailures} failed` : ''}`,
      met: lr.worker.growthPct < 10,
    });
  }
  return checks;
}

function printSummary(r: BenchResults): void {
  const lines: string[] = [];
  for (const pass of r.overhead) {
    lines.push(
      `\nOverhead, upstream ${pass.upstreamLatencyMs} ms (${pass.rounds} rounds × ${pass.perRound}):`,
    );
    lines.push(
      '| system | p50 | p90 | p99 | added p50 | added p90 | added p99 |',
      '|---|---|---|---|---|---|---|',
    );
    for (const [name, s] of Object.entries(pass.systems)) {
      const a = s.addedMs;
      lines.push(
        `| ${name} | ${s.latency.p50} | ${s.latency.p90} | ${s.latency.p99} | ${a?.p50 ?? '—'} | ${a?.p90 ?? '—'} | ${a?.p99 ?? '—'} |`,
      );
    }
    const h = pass.systems.keel?.keelHeaderMs;
    if (h) lines.push(`x-keel-overhead-ms: p50 ${h.p50}, p90 ${h.p90}, p99 ${h.p99}`);
  }
  const fl = r.floor;
  if (fl) {
    const x = (v: number | null): string => (v === null ? '—' : `${v}×`);
    lines.push(
      `\nFloor (Keel ${fl.deployment}; ${fl.settings.rounds} rounds × ${fl.settings.perRound} interleaved, upstream ${fl.upstreamLatencyMs} ms):`,
      `Keel's shape per task: ${fl.keelShape.description}`,
      '| | p50 ms | p99 ms | tasks/s |',
      '|---|---|---|---|',
      `| Temporal floor of that shape | ${fl.floor.latency.p50} | ${fl.floor.latency.p99} | ${fl.floor.throughputPerSec} |`,
      `| Keel added (over direct) | ${fl.keel.addedMs.p50} | ${fl.keel.addedMs.p99} | ${fl.keel.throughputPerSec} |`,
      ...(fl.portkey
        ? [
            `| Portkey added (over direct) | ${fl.portkey.addedMs.p50} | ${fl.portkey.addedMs.p99} | |`,
          ]
        : []),
      `| Keel ÷ floor | ${x(fl.ratios.addedP50VsFloor)} | ${x(fl.ratios.addedP99VsFloor)} | ${x(fl.ratios.throughputVsFloor)} |`,
      ...(fl.portkey
        ? [
            `| Keel ÷ Portkey | ${x(fl.ratios.addedP50VsPortkey)} | ${x(fl.ratios.addedP99VsPortkey)} | |`,
          ]
        : []),
    );
  }
  if (r.capacity) {
    lines.push(
      `\nClosed-loop capacity (${r.capacity.concurrency} callers): ` +
        Object.entries(r.capacity.systems)
          .map(([n, c]) => `${n} ${c.perSec}/s`)
          .join(' | '),
    );
  }
  if (r.load.length) {
    lines.push(
      '\nLoad (open loop): achieved/s · p50 · p99 · errors; Keel: goodput ÷ min(offered, capacity), 503+Retry-After share of errors, p50 to refuse',
    );
    for (const pass of r.load) {
      lines.push(
        `${pass.ratePerSec}/s: ` +
          Object.entries(pass.systems)
            .map(
              ([n, s]) =>
                `${n} ${s.achievedPerSec}/s ${s.latency.p50}/${s.latency.p99} ms ${Math.round(s.errorRate * 100)}%`,
            )
            .join(' | '),
      );
      const k = pass.systems.keel;
      if (k) {
        const ref = k.refusals;
        lines.push(
          `  keel: goodput ${k.goodput?.vsExpected ?? '—'}× · ` +
            (ref && ref.errors
              ? `${ref.refused503WithRetryAfter}/${ref.errors} refused 503 + Retry-After, p50 ${ref.latency.p50} ms`
              : 'no errors'),
        );
      }
    }
  }
  if (r.faultMix) {
    lines.push('\nFault mix: valid · p99 · attempts/result · tokens/valid (×fault-free)');
    for (const [n, s] of Object.entries(r.faultMix.systems)) {
      lines.push(
        `${n}: ${round2(s.validShare * 100)} % · ${s.latency.p99} ms · ${s.attemptsPerResult} · ${s.tokensPerValid} (${s.tokensRatio}×)`,
      );
    }
  }
  lines.push(
    '\nPeak RSS (MB): ' +
      r.memory.processes.map((p) => `${p.process} ${Math.round(p.peakMb)}`).join(', '),
  );
  lines.push('\nTargets:');
  for (const t of r.targets)
    lines.push(`${t.met ? 'MET    ' : 'NOT MET'} ${t.name}: ${t.value} (target ${t.target})`);
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const began = performance.now();
  const sampler = new RssSampler();
  sampler.track('bench-driver', () => [process.pid]);
  const cleanups: Array<() => Promise<void>> = [];
  const upstreams = new Map<SystemName, Upstream>();
  try {
    log(`starting (${QUICK ? 'quick' : 'full'} run): upstreams, Keel, Portkey, LiteLLM`);
    for (const [i, name] of (['direct', 'keel', 'portkey', 'litellm'] as const).entries()) {
      if (!ONLY.has(name) && name !== 'direct' && name !== 'keel') continue;
      const u = await startUpstream(SEED + i);
      upstreams.set(name, u);
      cleanups.push(async () => void (await stop(u.proc)));
      sampler.track(`upstream (${name})`, () => [u.proc.child.pid]);
    }
    const stack = await startBenchStack({
      env: upstreamEnv(upstreams.get('keel')!.url),
      embeddedWorker: EMBEDDED,
    });
    // The floor pass's worker runs in this process; one quiet Runtime for it.
    if (PASSES.has('floor')) Runtime.install({ logger: new DefaultLogger('WARN') });
    cleanups.push(() => stack.stop());
    sampler.track('keel worker', () => [stack.pids().worker]);
    sampler.track('keel api', () => [stack.pids().api]);
    sampler.track('temporal dev server', () => [stack.pids().temporal]);
    const connection = await Connection.connect({ address: stack.temporalAddress });
    cleanups.push(() => connection.close());
    const temporal = new Client({ connection });

    const peers: Peer[] = [];
    if (ONLY.has('portkey')) {
      const portkey = await startPortkey({
        upstreamBaseURL: `${upstreams.get('portkey')!.url}/v1`,
        policy: POLICY,
      });
      cleanups.push(() => portkey.stop());
      peers.push(portkey);
    }
    if (ONLY.has('litellm')) {
      const litellm = await startLiteLLM({
        upstreamBaseURL: `${upstreams.get('litellm')!.url}/v1`,
        policy: POLICY,
        scenarios: SCENARIO_NAMES,
      });
      cleanups.push(() => litellm.stop());
      peers.push(litellm);
    }
    for (const peer of peers) sampler.track(peer.name, () => peer.pids());
    sampler.start();
    log(`ready after ${Math.round((performance.now() - began) / 1000)} s`);

    /** The client's patience: the load pass's, or the fault mix's (hangs take a while). */
    const systemsWaiting = (timeoutMs: number): BenchSystem[] => [
      directSystem(upstreams.get('direct')!.url, POLICY),
      keelSystem(stack.base, stack.apiKey, timeoutMs),
      ...peers.map((peer) => peerSystem(peer, timeoutMs)),
    ];
    const systems = systemsWaiting(SETTINGS.load.requestTimeoutMs);
    // Warm-up: connections, JIT, Keel's sticky workflow cache and provider statistics.
    for (const system of systems) {
      const outcomes = await closedLoop(
        system,
        Array.from({ length: 30 }, (_, i) => okRequest(i)),
        2,
      );
      const failed = outcomes.filter((o) => !o.ok);
      if (failed.length) throw new Error(`${system.name} warm-up failed: ${failed[0]!.error}`);
    }

    const results: BenchResults = {
      date: new Date().toISOString(),
      quick: QUICK,
      ...runInfo(stack.temporalVersion, peers),
      overhead: [],
      load: [],
      memory: { processes: [] },
      targets: [],
      settings: {
        ...SETTINGS,
        seed: SEED,
        keelDeployment: EMBEDDED ? 'embedded worker' : 'two processes',
      },
    };
    if (PASSES.has('overhead')) {
      for (const latency of SETTINGS.overhead.upstreamLatenciesMs) {
        log(`overhead pass, upstream ${latency} ms`);
        results.overhead.push(await overheadPass(systems, upstreams, latency));
      }
      log('cache-hit path');
      const hits = await cacheHitPass(stack);
      results.cacheHit = latencyStats(hits.client);
      results.cacheHitHeader = latencyStats(hits.header);
    }
    if (PASSES.has('floor')) {
      log(
        `floor pass: Temporal's floor of Keel's shape, interleaved with ${systems
          .filter((s) => s.name !== 'litellm')
          .map((s) => s.name)
          .join(', ')}`,
      );
      for (const u of upstreams.values()) await setLatency(u, 0);
      const runner = await startFloorRunner(stack.temporalAddress);
      try {
        results.floor = await floorPass({
          systems: systems.filter((s) => s.name !== 'litellm'),
          request: okRequest,
          runner,
          embedded: EMBEDDED,
          upstreamLatencyMs: 0,
          settings: SETTINGS.floor,
          log,
        });
      } finally {
        await runner.close();
      }
    }
    if (PASSES.has('load')) {
      log(
        `closed-loop capacity, ${SETTINGS.capacity.concurrency} callers × ${SETTINGS.capacity.seconds} s per system`,
      );
      results.capacity = await capacityPass(systems, temporal);
      for (const [i, rate] of SETTINGS.load.ratesPerSec.entries()) {
        log(`load pass, ${rate} req/s for ${SETTINGS.load.durationS} s per system`);
        results.load.push(await loadPass(systems, rate, temporal, i, results.capacity));
      }
    }
    if (PASSES.has('faults')) {
      results.faultMix = await faultMixPass(
        systemsWaiting(SETTINGS.faults.requestTimeoutMs),
        upstreams,
        stack,
      );
    }
    let longRunFailures: number | undefined;
    if (PASSES.has('memory') && SETTINGS.longRun.minutes > 0) {
      log(`long run: Keel on the local provider for ${SETTINGS.longRun.minutes} min`);
      const lr = await longRun(stack, sampler);
      longRunFailures = lr.failures;
      const { failures: _failures, ...rest } = lr;
      results.memory.longRun = rest;
    }
    results.memory.processes = sampler.stop();
    results.targets = targets(results, longRunFailures);

    const dir = path.join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const stamp = results.date.replace(/[:.]/g, '-');
    const json = `${JSON.stringify(results, null, 2)}\n`;
    writeFileSync(path.join(dir, `${stamp}${QUICK ? '-quick' : ''}.json`), json);
    writeFileSync(path.join(dir, 'latest.json'), json);
    writeBenchChart(results, path.join(dir, 'latest.html'));
    printSummary(results);
    log(
      `done in ${Math.round((performance.now() - began) / 1000)} s: bench/results/latest.json, bench/results/latest.html`,
    );
  } finally {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err: unknown) => console.error(err));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
