/**
 * `npm run bench`'s floor pass: on the Temporal server the bench's Keel runs on, the floor
 * workflow of the shape Keel actually runs (counted from a completed job's history), one request
 * at a time interleaved with Keel's sync requests, the SDK straight at the upstream and Portkey's
 * gateway; then Keel and the floor each under C closed-loop callers. Keel's and Portkey's added
 * latency (over the SDK) sit next to the floor's latency, as ratios.
 */
import type { BenchRequest, BenchSystem } from '../lib/systems';
import { addedLatency, ratioOf, roundStats } from '../lib/ratios';
import { median, round2 } from '../lib/stats';
import type { FloorPass, SystemName } from '../results-schema';
import type { FloorRunner } from './runner';
import { describeShape, describeSteps, rotate } from './shape';

export interface FloorPassSettings {
  rounds: number;
  /** Requests per system per round, interleaved one by one. */
  perRound: number;
  /** Closed loop: callers and seconds, per system per throughput round. */
  concurrency: number;
  seconds: number;
  throughputRounds: number;
}

interface Entrant {
  name: SystemName | 'floor';
  once(i: number): Promise<boolean>;
}

async function closedLoopRate(
  entrant: Entrant,
  concurrency: number,
  seconds: number,
): Promise<{ perSec: number; errors: number }> {
  const started = performance.now();
  let completed = 0;
  let errors = 0;
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - started < seconds * 1000) {
        if (await entrant.once(i++)) completed++;
        else errors++;
      }
    }),
  );
  return { perSec: round2((completed / (performance.now() - started)) * 1000), errors };
}

export async function floorPass(args: {
  /** direct (the reference), keel, and any peers (Portkey's added latency is reported). */
  systems: BenchSystem[];
  request: (i: number) => BenchRequest;
  runner: FloorRunner;
  /** Keel's deployment: the embedded worker starts workflows eagerly. */
  embedded: boolean;
  upstreamLatencyMs: number;
  settings: FloorPassSettings;
  log: (line: string) => void;
}): Promise<FloorPass> {
  const { systems, request, runner, settings, embedded } = args;
  const keel = systems.find((s) => s.name === 'keel');
  const direct = systems.find((s) => s.name === 'direct');
  if (!keel || !direct) throw new Error('floor pass: needs the keel and direct systems');

  // Keel's shape, from the history of a job it just completed.
  const probe = await keel.send(request(0));
  if (!probe.ok || !probe.jobId) throw new Error(`floor pass: Keel probe failed: ${probe.error}`);
  const shape = await runner.shapeOf(probe.jobId);
  const floorShape = { steps: shape.steps, eager: embedded };
  args.log(`floor pass: Keel's shape per task: ${describeShape(shape)}`);

  const entrants: Entrant[] = [
    ...systems.map((s) => ({
      name: s.name,
      once: async (i: number) => (await s.send(request(i))).ok,
    })),
    {
      name: 'floor' as const,
      once: async () => {
        await runner.run(floorShape);
        return true;
      },
    },
  ];
  const timed = async (e: Entrant, i: number): Promise<number | undefined> => {
    const t0 = performance.now();
    try {
      return (await e.once(i)) ? performance.now() - t0 : undefined;
    } catch {
      return undefined;
    }
  };
  for (const e of entrants) for (let i = 0; i < 5; i++) await timed(e, i);

  const samples = new Map(entrants.map((e) => [e.name, [] as number[][]]));
  const errors: Record<string, number> = Object.fromEntries(entrants.map((e) => [e.name, 0]));
  for (let r = 0; r < settings.rounds; r++) {
    for (const e of entrants) samples.get(e.name)!.push([]);
    for (let i = 0; i < settings.perRound; i++) {
      for (const e of rotate(entrants, r + i)) {
        const ms = await timed(e, r * settings.perRound + i);
        if (ms === undefined) errors[e.name]!++;
        else samples.get(e.name)![r]!.push(ms);
      }
    }
  }
  const rounds = (name: string): number[][] => samples.get(name as SystemName) ?? [];

  const throughput = { keel: [] as number[], floor: [] as number[] };
  const floorEntrant = entrants.find((e) => e.name === 'floor')!;
  const keelEntrant = entrants.find((e) => e.name === 'keel')!;
  for (let r = 0; r < settings.throughputRounds; r++) {
    for (const e of rotate([keelEntrant, floorEntrant], r)) {
      const rate = await closedLoopRate(e, settings.concurrency, settings.seconds);
      throughput[e.name as 'keel' | 'floor'].push(rate.perSec);
      errors[e.name]! += rate.errors;
    }
  }
  const medianOf = (xs: number[]): number => round2(median(xs));

  const floorLatency = roundStats(rounds('floor'));
  const keelAdded = addedLatency(rounds('keel'), rounds('direct'));
  const portkeyAdded = samples.has('portkey')
    ? addedLatency(rounds('portkey'), rounds('direct'))
    : undefined;
  const keelPerSec = medianOf(throughput.keel);
  const floorPerSec = medianOf(throughput.floor);
  return {
    upstreamLatencyMs: args.upstreamLatencyMs,
    settings,
    deployment: embedded ? 'embedded worker' : 'two processes',
    keelShape: {
      jobId: probe.jobId,
      description: `${describeSteps(shape.steps, embedded)}; ${describeShape(shape)}`,
      workflowTasks: shape.workflowTasks,
      localActivities: shape.localActivities,
      activities: shape.activities,
      events: shape.events,
      historyBytes: shape.historyBytes,
      payloadBytes: shape.payloadBytes,
      payloads: shape.payloads,
    },
    direct: { latency: roundStats(rounds('direct')) },
    floor: { latency: floorLatency, throughputPerSec: floorPerSec },
    keel: { latency: roundStats(rounds('keel')), addedMs: keelAdded, throughputPerSec: keelPerSec },
    ...(portkeyAdded
      ? { portkey: { latency: roundStats(rounds('portkey')), addedMs: portkeyAdded } }
      : {}),
    ratios: {
      addedP50VsFloor: ratioOf(keelAdded.p50, floorLatency.p50),
      addedP99VsFloor: ratioOf(keelAdded.p99, floorLatency.p99),
      throughputVsFloor: ratioOf(keelPerSec, floorPerSec),
      addedP50VsPortkey: ratioOf(keelAdded.p50, portkeyAdded?.p50),
      addedP99VsPortkey: ratioOf(keelAdded.p99, portkeyAdded?.p99),
    },
    errors,
  };
}
