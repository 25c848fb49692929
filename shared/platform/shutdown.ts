import { constants } from 'node:os';
import type { Logger } from './logger';

/**
 * The signals both processes drain on. SIGQUIT and SIGUSR2 too: the SDK's defaults, which the
 * worker used before this helper (nodemon restarts with SIGUSR2).
 */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGQUIT',
  'SIGUSR2',
];

/**
 * After the grace the SDK cancels the activities still running; their failures, the workflow
 * tasks that follow and the connections' close get this long before the process exits anyway.
 */
export const SHUTDOWN_EXIT_SLACK_MS = 2_000;

export interface GracefulShutdownOptions {
  logger: Logger;
  /** `KEEL_SHUTDOWN_GRACE_MS`: how long work in flight at the first signal may take to finish. */
  graceMs: number;
  /** Counts of what is in flight now (activities, requests), logged at each step. */
  inFlight: () => Record<string, number>;
  /**
   * Stops taking new work and resolves once what was in flight has finished and the process's
   * connections are closed. `graceOver` aborts when the grace is spent: answer whoever still waits.
   */
  drain: (graceOver: AbortSignal) => Promise<void>;
  signals?: readonly NodeJS.Signals[];
  /** `process.exit` (tests inject their own). */
  exit?: (code: number) => void;
}

export interface GracefulShutdown {
  /** Begins the drain as a first signal does (e.g. when the supervisor is gone). */
  begin(reason: string): void;
  /** Removes the signal handlers (tests). */
  dispose(): void;
}

/**
 * One shutdown for the API and the worker. The first signal: stop taking work, let what is in
 * flight finish for up to `graceMs` (the SDK then cancels the activities still running; Temporal
 * retries them on another worker), exit 0 once drained or `SHUTDOWN_EXIT_SLACK_MS` after the
 * grace, whichever comes first. A second signal: exit at once with 128 + the signal's number;
 * Temporal retries the interrupted work after its timeouts (a call may then be made twice; the
 * workflow still records one result).
 */
export function gracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { logger, graceMs } = options;
  const signals = options.signals ?? SHUTDOWN_SIGNALS;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const inFlight = (): Record<string, number> => {
    try {
      return options.inFlight();
    } catch {
      return {};
    }
  };
  let startedAt: number | undefined;
  const timers: NodeJS.Timeout[] = [];

  const begin = (reason: string): void => {
    if (startedAt !== undefined) return;
    startedAt = Date.now();
    logger.info(
      { reason, graceMs, inFlight: inFlight() },
      'shutting down: taking no new work; work in flight has the grace period to finish (a second signal forces)',
    );
    const graceOver = new AbortController();
    timers.push(
      setTimeout(() => {
        logger.warn(
          { graceMs, inFlight: inFlight() },
          'grace period over: work still in flight is cancelled and left to Temporal to retry',
        );
        graceOver.abort();
      }, graceMs),
      setTimeout(() => {
        logger.warn(
          { graceMs, inFlight: inFlight() },
          'exiting with work still in flight: Temporal gives it to another worker after its timeout',
        );
        exit(0);
      }, graceMs + SHUTDOWN_EXIT_SLACK_MS),
    );
    options.drain(graceOver.signal).then(
      () => {
        logger.info(
          { ms: Date.now() - (startedAt ?? 0) },
          'drained: stopped with nothing in flight',
        );
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err, inFlight: inFlight() }, 'shutdown failed');
        exit(1);
      },
    );
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (startedAt === undefined) return begin(signal);
    logger.warn(
      { signal, afterMs: Date.now() - startedAt, inFlight: inFlight() },
      'forced: exiting at once; Temporal retries the work in flight after its timeouts',
    );
    exit(128 + (constants.signals[signal] ?? 0));
  };
  for (const signal of signals) process.on(signal, onSignal);

  return {
    begin,
    dispose: () => {
      for (const signal of signals) process.off(signal, onSignal);
      for (const timer of timers) clearTimeout(timer);
    },
  };
}
