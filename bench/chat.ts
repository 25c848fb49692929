/**
 * `npm run bench:chat [-- --quick] [--systems direct,keel,portkey,litellm] [--seed N]`
 *
 * Keel's OpenAI-compatible endpoint (`/v1/chat/completions`, Keel as `npm start` runs it: the
 * worker inside the API) side by side with the same chat completion sent with the `openai` client
 * straight to the mock upstream, through Portkey's gateway and through the LiteLLM proxy, each on
 * its own upstream process, in one run:
 * - added latency p50/p99 over direct, non-streaming; added time to first token, streaming (and
 *   on a paced upstream, where Keel's stream window shows); systems take turns round by round and
 *   p50s are medians of round medians;
 * - throughput: C concurrent callers for T seconds, the median of several repetitions;
 * - streams under a fault mix (ok, stream-cut, stream-stall, malformed-chunk, slow-ttft, 503), each
 *   with an `ok` fallback candidate: valid answers, and silent truncations (a normal end with
 *   other text than expected) counted apart from raised errors.
 *
 * Writes bench/results/chat-<timestamp>[-quick].json and bench/results/chat-latest.json. Bounded
 * in count and time; never part of `npm test`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { seededRandom } from '../test/mock-upstream/scenarios';
import { ROOT, stop } from '../test/support/processes';
import { upstreamEnv } from '../test/support/upstream-env';
import { rotate } from './floor/shape';
import { chatTable, faultTable, type ChatBenchResults } from './lib/chat-report';
import {
  CHAT_EXPECTED,
  directChatSystem,
  keelChatAliases,
  keelChatSystem,
  peerChatSystem,
  type ChatOutcome,
  type ChatRequest,
  type ChatSystem,
} from './lib/chat-systems';
import { judgeChat, tallyVerdicts, type ChatVerdict } from './lib/chat-verdicts';
import { closedLoop, timedLoop } from './lib/load';
import { addedLatency, roundStats } from './lib/ratios';
import { runInfo } from './lib/run-info';
import { latencyStats, median, round2 } from './lib/stats';
import { startUpstream, type Upstream } from './lib/upstream';
import { startLiteLLM } from './peers/litellm';
import { startPortkey } from './peers/portkey';
import type { Peer, PeerPolicy } from './peers/types';
import type { SystemName } from './results-schema';
import { drainRuns, startBenchStack, type BenchStack } from './stack';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '20261207' },
    systems: { type: 'string', default: 'direct,keel,portkey,litellm' },
  },
  strict: true,
});
const QUICK = flags.quick;
const SEED = Number(flags.seed);
const ONLY = new Set(flags.systems.split(','));

/** Every count and limit of a run, full and --quick. Recorded in the results. */
const SETTINGS = {
  /** Rounds: each system in turn (rotated), perRound calls non-streaming then perRound streaming. */
  latency: { rounds: QUICK ? 5 : 15, perRound: QUICK ? 12 : 30, pacedPerRound: QUICK ? 1 : 3 },
  throughput: { concurrency: 16, seconds: QUICK ? 3 : 10, repetitions: QUICK ? 2 : 3 },
  faults: {
    scenarios: ['ok', 'stream-cut', 'stream-stall', 'malformed-chunk', 'slow-ttft', '503'],
    fallback: 'ok',
    /** Each round sends every scenario once (in a seeded order, all at once) to every system. */
    rounds: QUICK ? 2 : 8,
    /** The caller's patience for a whole stream: a stall with no timeout of its own hangs. */
    deadlineMs: QUICK ? 15_000 : 30_000,
  },
  /** The caller's patience outside the fault mix. */
  deadlineMs: 30_000,
  /** The gateways' retry/fallback policy; direct gets the same retries from the client. */
  policy: { attemptsPerTarget: 2, timeoutMs: 2_500, retryOnStatus: [429, 500, 502, 503, 504] },
  /**
   * slow-ttft waits past the gateways' per-attempt timeout, so it is a fault for each of them;
   * `trickle` sends the stream a few bytes every 200 ms over 600 ms (the paced TTFT).
   */
  upstream: {
    slowMedianMs: 300,
    slowP99Ms: 1_500,
    ttftMs: 5_000,
    flapPeriodMs: 2_000,
    trickleMs: 600,
  },
  warmup: 20,
} as const;
const POLICY: PeerPolicy = {
  ...SETTINGS.policy,
  retryOnStatus: [...SETTINGS.policy.retryOnStatus],
};
const PACED = 'trickle';
const SCENARIOS = [...new Set<string>([...SETTINGS.faults.scenarios, PACED])];
const ROUTES = SCENARIOS.map((primary) => ({ primary, fallback: SETTINGS.faults.fallback }));

const log = (line: string): void =>
  console.log(`[bench:chat ${new Date().toISOString().slice(11, 19)}] ${line}`);

const correct = (o: ChatOutcome): boolean => o.ok && o.text === CHAT_EXPECTED;

function shuffle<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Keel's plan with the bench's aliases, a tenant on it, and that tenant's key. */
async function keelTenantKey(stack: BenchStack): Promise<string> {
  const json = async (p: string, method: string, body: unknown): Promise<unknown> => {
    const res = await stack.call(p, { method, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as unknown;
  };
  const aliases = keelChatAliases(ROUTES);
  await json('/v1/admin/plans/bench-chat', 'PUT', { id: 'bench-chat', name: 'Bench', aliases });
  await json('/v1/admin/tenants', 'POST', { id: 'bench-chat', plan: 'bench-chat' });
  const key = await json('/v1/admin/tenants/bench-chat/keys', 'POST', {
    name: 'bench',
    roles: ['caller'],
  });
  return (key as { key: string }).key;
}

async function latencyPass(systems: ChatSystem[]): Promise<ChatBenchResults['latency']> {
  const { rounds, perRound, pacedPerRound } = SETTINGS.latency;
  type Series = 'nonStream' | 'ttft' | 'pacedTtft';
  const samples = new Map<string, number[][]>();
  const errors = new Map<SystemName, number>();
  const record = (name: SystemName, series: Series, r: number, outcomes: ChatOutcome[]): void => {
    const key = `${name}/${series}`;
    const rows = samples.get(key) ?? Array.from({ length: rounds }, () => []);
    const good = outcomes.filter(correct);
    rows[r]!.push(...good.map((o) => (series === 'nonStream' ? o.ms : o.ttftMs!)));
    samples.set(key, rows);
    errors.set(name, (errors.get(name) ?? 0) + outcomes.length - good.length);
  };
  const ask = (primary: string, stream: boolean, n: number): ChatRequest[] =>
    Array.from({ length: n }, () => ({ primary, fallback: SETTINGS.faults.fallback, stream }));
  for (let r = 0; r < rounds; r++) {
    for (const system of rotate(systems, r)) {
      record(system.name, 'nonStream', r, await closedLoop(system, ask('ok', false, perRound), 1));
      record(system.name, 'ttft', r, await closedLoop(system, ask('ok', true, perRound), 1));
      if (pacedPerRound > 0) {
        const paced = await closedLoop(system, ask(PACED, true, pacedPerRound), 1);
        record(system.name, 'pacedTtft', r, paced);
      }
    }
  }
  const of = (name: SystemName, series: Series) => samples.get(`${name}/${series}`) ?? [];
  const pass: ChatBenchResults['latency'] = { rounds, perRound, systems: {} };
  for (const { name } of systems) {
    const vsDirect = (series: Series) =>
      name === 'direct' ? null : addedLatency(of(name, series), of('direct', series));
    pass.systems[name] = {
      nonStream: roundStats(of(name, 'nonStream')),
      ttft: roundStats(of(name, 'ttft')),
      addedMs: vsDirect('nonStream'),
      addedTtftMs: vsDirect('ttft'),
      ...(pacedPerRound > 0
        ? { pacedTtft: roundStats(of(name, 'pacedTtft')), addedPacedTtftMs: vsDirect('pacedTtft') }
        : {}),
      errors: errors.get(name) ?? 0,
    };
    const s = pass.systems[name];
    log(
      `latency ${name}: non-stream p50 ${s.nonStream.p50} ms, TTFT p50 ${s.ttft.p50} ms, ` +
        `paced TTFT p50 ${s.pacedTtft?.p50 ?? '—'} ms, ${s.errors} errors`,
    );
  }
  return pass;
}

async function throughputPass(
  systems: ChatSystem[],
  temporal: Client,
): Promise<ChatBenchResults['throughput']> {
  const { concurrency, seconds, repetitions } = SETTINGS.throughput;
  const pass: ChatBenchResults['throughput'] = { concurrency, seconds, repetitions, systems: {} };
  const runs = new Map<SystemName, { perSec: number[]; errors: number; ms: number[] }>();
  const request = (): ChatRequest => ({ primary: 'ok', stream: false });
  for (let rep = 0; rep < repetitions; rep++) {
    for (const system of rotate(systems, rep)) {
      const { outcomes, wallMs } = await timedLoop(system, request, concurrency, seconds);
      if (system.name === 'keel' && !(await drainRuns(temporal))) log('keel backlog still running');
      const good = outcomes.filter(correct);
      const run = runs.get(system.name) ?? { perSec: [], errors: 0, ms: [] };
      run.perSec.push(round2((good.length / wallMs) * 1000));
      run.errors += outcomes.length - good.length;
      run.ms.push(...good.map((o) => o.ms));
      runs.set(system.name, run);
    }
  }
  for (const [name, run] of runs) {
    pass.systems[name] = {
      perSec: round2(median(run.perSec)),
      perRepetition: run.perSec,
      errors: run.errors,
      latency: latencyStats(run.ms),
    };
    log(`throughput ${name}: ${pass.systems[name].perSec}/s (${run.perSec.join(', ')})`);
  }
  return pass;
}

async function faultMixPass(systems: ChatSystem[]): Promise<ChatBenchResults['faultMix']> {
  const { scenarios, fallback, rounds, deadlineMs } = SETTINGS.faults;
  const random = seededRandom(SEED);
  const schedule = Array.from({ length: rounds }, () => shuffle(scenarios, random));
  const verdicts = new Map<
    SystemName,
    Array<{ scenario: string; verdict: ChatVerdict; ms: number }>
  >();
  const errorKinds = new Map<SystemName, Record<string, number>>();
  for (const [r, order] of schedule.entries()) {
    // Validity, not timing: the systems run side by side, each round's scenarios all at once.
    await Promise.all(
      systems.map(async (system) => {
        const reqs = order.map((primary) => ({ primary, fallback, stream: true }));
        const outcomes = await closedLoop(system, reqs, reqs.length);
        const mine = verdicts.get(system.name) ?? [];
        const kinds = errorKinds.get(system.name) ?? {};
        outcomes.forEach((o, i) => {
          mine.push({ scenario: order[i]!, verdict: judgeChat(o, CHAT_EXPECTED), ms: o.ms });
          const kind = o.error && `${order[i]}: ${o.error.slice(0, 80)}`;
          if (kind) kinds[kind] = (kinds[kind] ?? 0) + 1;
        });
        verdicts.set(system.name, mine);
        errorKinds.set(system.name, kinds);
      }),
    );
    log(`fault mix round ${r + 1}/${rounds} done`);
  }
  const pass: ChatBenchResults['faultMix'] = {
    scenarios: [...scenarios],
    rounds,
    deadlineMs,
    systems: {},
  };
  for (const [name, all] of verdicts) {
    pass.systems[name] = {
      ...tallyVerdicts(all.map((v) => v.verdict)),
      perScenario: Object.fromEntries(
        scenarios.map((s) => {
          const mine = all.filter((v) => v.scenario === s);
          return [
            s,
            {
              ...tallyVerdicts(mine.map((v) => v.verdict)),
              p50Ms: round2(median(mine.map((v) => v.ms))),
            },
          ];
        }),
      ),
      errorKinds: errorKinds.get(name) ?? {},
    };
  }
  return pass;
}

async function main(): Promise<void> {
  const began = performance.now();
  const cleanups: Array<() => Promise<void>> = [];
  const missing: Record<string, string> = {};
  try {
    log(`starting (${QUICK ? 'quick' : 'full'} run): upstreams, Keel, Portkey, LiteLLM`);
    const upstreams = new Map<SystemName, Upstream>();
    const names = (['direct', 'keel', 'portkey', 'litellm'] as const).filter(
      (n) => n === 'direct' || ONLY.has(n),
    );
    await Promise.all(
      names.map(async (name, i) => {
        const u = await startUpstream(SEED + i, SETTINGS.upstream);
        cleanups.push(async () => void (await stop(u.proc)));
        upstreams.set(name, u);
      }),
    );
    const upstreamV1 = (name: SystemName): string => `${upstreams.get(name)!.url}/v1`;
    // Keel and the peers start side by side; a peer that cannot start is left out, and said so.
    const peerStarts: Array<[SystemName, () => Promise<Peer>]> = [
      ['portkey', () => startPortkey({ upstreamBaseURL: upstreamV1('portkey'), policy: POLICY })],
      [
        'litellm',
        () =>
          startLiteLLM({
            upstreamBaseURL: upstreamV1('litellm'),
            policy: POLICY,
            scenarios: SCENARIOS,
          }),
      ],
    ];
    const [stack, ...peerResults] = await Promise.all([
      startBenchStack({ env: upstreamEnv(upstreams.get('keel')!.url), embeddedWorker: true }).then(
        (s) => (cleanups.push(() => s.stop()), s),
      ),
      ...peerStarts
        .filter(([name]) => upstreams.has(name))
        .map(([name, start]) =>
          start().then(
            (peer) => (cleanups.push(() => peer.stop()), peer),
            (err: unknown) => {
              missing[name] = `did not start: ${String(err).slice(0, 300)}`;
              return undefined;
            },
          ),
        ),
    ]);
    const peers = peerResults.filter((p): p is Peer => p !== undefined);
    for (const [name, why] of Object.entries(missing)) log(`${name} left out: ${why}`);
    const connection = await Connection.connect({ address: stack.temporalAddress });
    cleanups.push(() => connection.close());
    const temporal = new Client({ connection });
    const apiKey = await keelTenantKey(stack);
    log(`ready after ${Math.round((performance.now() - began) / 1000)} s`);

    const systemsWaiting = (deadlineMs: number): ChatSystem[] => [
      directChatSystem(upstreams.get('direct')!.url, POLICY, deadlineMs),
      keelChatSystem(stack.base, apiKey, deadlineMs),
      ...peers.map((peer) => peerChatSystem(peer, deadlineMs)),
    ];
    const systems = systemsWaiting(SETTINGS.deadlineMs);
    // Warm-up: connections, JIT, Keel's sticky workflow cache and provider statistics.
    for (const system of systems) {
      for (const stream of [false, true]) {
        const reqs = Array.from({ length: SETTINGS.warmup }, () => ({ primary: 'ok', stream }));
        const failed = (await closedLoop(system, reqs, 2)).filter((o) => !correct(o));
        if (failed.length) {
          throw new Error(
            `${system.name} warm-up (stream ${stream}): ${JSON.stringify(failed[0])}`,
          );
        }
      }
    }

    log(`latency: ${SETTINGS.latency.rounds} rounds × ${SETTINGS.latency.perRound} per system`);
    const latency = await latencyPass(systems);
    log(
      `throughput: ${SETTINGS.throughput.concurrency} callers × ${SETTINGS.throughput.seconds} s`,
    );
    const throughput = await throughputPass(systems, temporal);
    log(
      `stream fault mix: ${SETTINGS.faults.rounds} rounds of ${SETTINGS.faults.scenarios.join(', ')}`,
    );
    const faultMix = await faultMixPass(systemsWaiting(SETTINGS.faults.deadlineMs));

    const results: ChatBenchResults = {
      date: new Date().toISOString(),
      quick: QUICK,
      ...runInfo(stack.temporalVersion, peers),
      missing,
      settings: { ...SETTINGS, seed: SEED, keelDeployment: 'embedded worker' },
      latency,
      throughput,
      faultMix,
    };
    const dir = path.join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const json = `${JSON.stringify(results, null, 2)}\n`;
    const stamp = results.date.replace(/[:.]/g, '-');
    writeFileSync(path.join(dir, `chat-${stamp}${QUICK ? '-quick' : ''}.json`), json);
    writeFileSync(path.join(dir, 'chat-latest.json'), json);
    console.log(
      [
        `\nChat completions, ${QUICK ? 'quick' : 'full'} run (load average ${results.machine.loadAvg.join(' ')}):`,
        ...chatTable(results),
        `\nStream fault mix per scenario (${SETTINGS.faults.rounds} rounds, fallback ${SETTINGS.faults.fallback}):`,
        ...faultTable(results),
      ].join('\n'),
    );
    log(
      `done in ${Math.round((performance.now() - began) / 1000)} s: bench/results/chat-latest.json`,
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
