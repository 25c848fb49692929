/**
 * When `npm start`'s supervisor restarts a process that died: exponential backoff, and a
 * crash-loop limit after which it stops everything instead of restarting forever. Pure.
 */
export interface RestartPolicy {
  /** Delay before the first restart; doubled for each restart still inside the window. */
  initialMs: number;
  maxMs: number;
  /** Restarts allowed inside `windowMs`; one more crash stops everything. */
  limit: number;
  windowMs: number;
  /**
   * A process that ran this long before it died was stable: it restarts after `initialMs`, not
   * after a delay doubled by earlier restarts (PM2's rule; Kubernetes resets after 10 min).
   */
  stableMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialMs: 500,
  maxMs: 30_000,
  limit: 5,
  windowMs: 60_000,
  stableMs: 10_000,
};

export type RestartDecision =
  { restart: true; delayMs: number; recent: number } | { restart: false; recent: number };

/**
 * `restarts`: when this process was restarted before (epoch ms). Restarts older than the window
 * are forgotten, so a process that crashes once a day is always restarted after `initialMs`.
 * `ranForMs`: how long the process that just died had been up; a stable run resets the backoff
 * (the crash-loop limit still counts every restart in the window).
 */
export function nextRestart(
  restarts: readonly number[],
  now: number,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ranForMs = 0,
): RestartDecision {
  const recent = restarts.filter((at) => now - at < policy.windowMs).length;
  if (recent >= policy.limit) return { restart: false, recent };
  const doublings = ranForMs >= policy.stableMs ? 0 : recent;
  return {
    restart: true,
    delayMs: Math.min(policy.maxMs, policy.initialMs * 2 ** doublings),
    recent,
  };
}
