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
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialMs: 500,
  maxMs: 30_000,
  limit: 5,
  windowMs: 60_000,
};

export type RestartDecision =
  { restart: true; delayMs: number; recent: number } | { restart: false; recent: number };

/**
 * `restarts`: when this process was restarted before (epoch ms). Restarts older than the window
 * are forgotten, so a process that crashes once a day is always restarted after `initialMs`.
 */
export function nextRestart(
  restarts: readonly number[],
  now: number,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): RestartDecision {
  const recent = restarts.filter((at) => now - at < policy.windowMs).length;
  if (recent >= policy.limit) return { restart: false, recent };
  return {
    restart: true,
    delayMs: Math.min(policy.maxMs, policy.initialMs * 2 ** recent),
    recent,
  };
}
