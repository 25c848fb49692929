export interface AdmissionLimiterOptions {
  /**
   * KEEL_SHED_WAIT_FRACTION: a sync request is refused when its expected time in the system is
   * more than this fraction of its task's `maxSyncMs`; the rest of the envelope is margin for
   * the estimate's error. 0 turns the adaptive limit off (the ceiling alone applies).
   * @default 0.8
   */
  waitFraction?: number;
  /** Completions older than this no longer count towards the rate. @default 10_000 */
  windowMs?: number;
  /** Fewer completions than this in the window: no rate yet, only the ceiling applies. @default 10 */
  minSamples?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Retry-After never says more than this: the queue may drain faster than it did. */
const MAX_RETRY_AFTER_S = 60;
/** The rate's time base is at least this long, so a handful of completions in a burst is not read as a huge rate. */
const MIN_SPAN_MS = 1_000;

/**
 * The adaptive part of load shedding, by Little's law (W = L / λ): with `L` tasks in the system
 * (counting the new one) and the deployment completing `λ` tasks per second, a new task can
 * expect to be done after about L / λ seconds. λ is measured, not configured: the tasks seen to
 * finish over the last `windowMs`, divided by the time they span (at least `MIN_SPAN_MS`, at most
 * the window), so the rate falls while nothing finishes. Arithmetic only: the caller says what
 * finished and how many are in flight; the clock is injectable.
 *
 * Under the system's capacity λ is the arrival rate and L / λ is simply the task's own latency;
 * past it, λ is the capacity and L / λ grows with the queue, which is what refusing cuts short.
 * A task whose own latency is above `waitFraction × maxSyncMs` is refused even unqueued once
 * enough of them run; such a deployment wants a larger fraction, or 0.
 */
export class AdmissionLimiter {
  /** Completion times, oldest first; entries before `head` have left the window. */
  private done: number[] = [];
  private head = 0;
  private readonly now: () => number;
  private readonly fraction: number;
  private readonly windowMs: number;
  private readonly minSamples: number;

  constructor(options: AdmissionLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.fraction = options.waitFraction ?? 0.8;
    this.windowMs = options.windowMs ?? 10_000;
    this.minSamples = options.minSamples ?? 10;
  }

  /** A task ended (seen by its sync caller, or gone from the running listing). */
  completed(): void {
    this.done.push(this.now());
  }

  /** Tasks finished per second over the window; undefined until the window holds enough of them. */
  rate(): number | undefined {
    const now = this.now();
    const cutoff = now - this.windowMs;
    while (this.head < this.done.length && this.done[this.head]! <= cutoff) this.head += 1;
    if (this.head > 1_024 && this.head * 2 > this.done.length) {
      this.done = this.done.slice(this.head);
      this.head = 0;
    }
    const n = this.done.length - this.head;
    if (n < this.minSamples) return undefined;
    const span = Math.min(this.windowMs, Math.max(MIN_SPAN_MS, now - this.done[this.head]!));
    return (n * 1_000) / span;
  }

  /**
   * Whether a sync request for a task with `maxSyncMs` may join `inFlight` running tasks; a
   * refusal says how long the queue would make it wait and when it may have drained enough.
   */
  check(inFlight: number, maxSyncMs: number): LimiterVerdict {
    if (this.fraction <= 0 || maxSyncMs <= 0) return { admit: true };
    const rate = this.rate();
    if (rate === undefined) return { admit: true };
    const expectedWaitMs = ((inFlight + 1) * 1_000) / rate;
    const budgetMs = this.fraction * maxSyncMs;
    if (expectedWaitMs <= budgetMs) return { admit: true };
    // In flight beyond what the rate finishes within the budget, drained at that rate.
    const fits = Math.floor((rate * budgetMs) / 1_000);
    return {
      admit: false,
      expectedWaitMs: Math.round(expectedWaitMs),
      limit: Math.max(fits, 0),
      retryAfterS: retryAfter(inFlight + 1 - fits, rate),
    };
  }

  /** Retry-After for a refusal at the ceiling: the time to finish what is over it, or 1 s. */
  retryAfterAtCeiling(inFlight: number, ceiling: number): number {
    const rate = this.rate();
    return rate === undefined ? 1 : retryAfter(inFlight + 1 - ceiling, rate);
  }
}

export type LimiterVerdict =
  | { admit: true }
  | {
      admit: false;
      /** L / λ for the new task, in ms. */
      expectedWaitMs: number;
      /** How many tasks in flight the measured rate finishes within the budget. */
      limit: number;
      retryAfterS: number;
    };

/** Seconds for `excess` tasks to finish at `ratePerSec`, whole, 1 to MAX_RETRY_AFTER_S. */
const retryAfter = (excess: number, ratePerSec: number): number =>
  Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(excess / ratePerSec)));
