/**
 * One measuring round of the floor benches (`bench:floor`, `bench:sqlite`): sequential runs, then
 * `concurrency` closed-loop callers for `seconds`. Shared so both benches measure alike.
 */
import type { RoundSample } from './shape';

export interface RoundSettings {
  rounds: number;
  sequential: number;
  concurrency: number;
  seconds: number;
}

/** The round flags both benches take (`parseArgs` options). */
export const ROUND_FLAGS = {
  quick: { type: 'boolean', default: false },
  rounds: { type: 'string' },
  sequential: { type: 'string' },
  concurrency: { type: 'string', default: '16' },
  seconds: { type: 'string' },
} as const;

/** A positive whole-number flag, or the fallback when absent. */
export function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: a positive integer, got ${value}`);
  return n;
}

/** The round sizes from the common flags; `--quick` makes them small. */
export function roundSettings(values: {
  quick?: boolean;
  rounds?: string;
  sequential?: string;
  concurrency?: string;
  seconds?: string;
}): RoundSettings {
  return {
    rounds: intFlag('rounds', values.rounds, values.quick ? 2 : 3),
    sequential: intFlag('sequential', values.sequential, values.quick ? 15 : 60),
    concurrency: intFlag('concurrency', values.concurrency, 16),
    seconds: intFlag('seconds', values.seconds, values.quick ? 2 : 5),
  };
}

/** `once(i)` throws on failure; failures are counted, never timed. */
export async function measureRound(
  once: (i: number) => Promise<unknown>,
  settings: Pick<RoundSettings, 'sequential' | 'concurrency' | 'seconds'>,
): Promise<RoundSample> {
  const sample: RoundSample = {
    sequential: [],
    concurrent: [],
    completed: 0,
    errors: 0,
    elapsedMs: 0,
  };
  let i = 0;
  for (let k = 0; k < settings.sequential; k++) {
    const t0 = performance.now();
    try {
      await once(i++);
      sample.sequential.push(performance.now() - t0);
    } catch {
      sample.errors++;
    }
  }
  const durationMs = settings.seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (performance.now() - started < durationMs) {
        const t0 = performance.now();
        try {
          await once(i++);
          sample.concurrent.push(performance.now() - t0);
          sample.completed++;
        } catch {
          sample.errors++;
        }
      }
    }),
  );
  sample.elapsedMs = performance.now() - started;
  return sample;
}
