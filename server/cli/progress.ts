import { Presets, SingleBar } from 'cli-progress';

/** Where a batch stands, as its events tell it. */
export interface BatchProgress {
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
  costUsd: number;
  /** The server's observed rate (items/s), used until the CLI has seen items end itself. */
  serverRate?: number;
}

export interface ProgressReporter {
  update(p: BatchProgress): void;
  /** Ends the display (the bar stays on screen as it last was). */
  stop(): void;
}

/** The CLI's own rate needs this long a look; before it, the server's rate stands. */
const MIN_OWN_SECONDS = 2;

/** Non-TTY output: one line each time another tenth of the items has ended. */
const STEPS = 10;

/**
 * A batch's progress on `stream` (stderr): a live bar when it is a terminal (done, failed, rate,
 * ETA, cost), else plain lines, one per 10 % (no redraws in a log file or a CI job).
 */
export function createProgress(opts: {
  stream: NodeJS.WriteStream;
  tty: boolean;
  now?: () => number;
}): ProgressReporter {
  const rate = new RateMeter(opts.now ?? Date.now);
  return opts.tty ? barReporter(opts.stream, rate) : lineReporter(opts.stream, rate);
}

function barReporter(stream: NodeJS.WriteStream, rate: RateMeter): ProgressReporter {
  const bar = new SingleBar(
    {
      stream,
      format:
        '{bar} {percentage}% | {value}/{total} done | {failed} failed | {rate} items/s | ETA {etaText} | {cost}',
      barsize: 30,
      hideCursor: true,
      fps: 10,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const d = done(p);
      const s = rate.sample(d, p);
      const payload = {
        failed: p.failed,
        rate: s.rate.toFixed(1),
        etaText: s.etaSeconds === undefined ? '-' : formatDuration(s.etaSeconds),
        cost: formatUsd(p.costUsd),
      };
      if (!started) {
        bar.start(p.total, d, payload);
        started = true;
      } else {
        bar.setTotal(p.total);
        bar.update(d, payload);
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function lineReporter(stream: NodeJS.WriteStream, rate: RateMeter): ProgressReporter {
  let printedStep = -1;
  return {
    update(p) {
      const d = done(p);
      const s = rate.sample(d, p);
      const step = p.total === 0 ? STEPS : Math.floor((d * STEPS) / p.total);
      if (step <= printedStep) return;
      printedStep = step;
      stream.write(`progress: ${progressLine(p, s)}\n`);
    },
    stop: () => undefined,
  };
}

/** `40% 80/200 done, 1 failed, 35.2 items/s, ETA 3s, $0.0012` */
export function progressLine(p: BatchProgress, s: { rate: number; etaSeconds?: number }): string {
  const d = done(p);
  const pct = p.total === 0 ? 100 : Math.floor((d * 100) / p.total);
  const eta = s.etaSeconds === undefined ? '' : `, ETA ${formatDuration(s.etaSeconds)}`;
  return `${pct}% ${d}/${p.total} done, ${p.failed} failed, ${s.rate.toFixed(1)} items/s${eta}, ${formatUsd(p.costUsd)}`;
}

const done = (p: BatchProgress): number => p.completed + p.failed + p.cancelled;

/**
 * Items ended per second since the CLI first saw the batch (a batch followed mid-way is not
 * credited with what ended before), and the time left at that rate.
 */
class RateMeter {
  private first?: { at: number; done: number };
  constructor(private readonly now: () => number) {}

  sample(d: number, p: BatchProgress): { rate: number; etaSeconds?: number } {
    const at = this.now();
    this.first ??= { at, done: d };
    const seconds = (at - this.first.at) / 1000;
    const own =
      seconds >= MIN_OWN_SECONDS && d > this.first.done ? (d - this.first.done) / seconds : 0;
    const rate = own > 0 ? own : (p.serverRate ?? 0);
    const left = p.total - d;
    if (left <= 0) return { rate, etaSeconds: 0 };
    return rate > 0 ? { rate, etaSeconds: left / rate } : { rate };
  }
}

/** `45s`, `3m 20s`, `1h 05m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `$0.0012` below a dollar, `$12.40` above. */
export function formatUsd(usd: number): string {
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}
