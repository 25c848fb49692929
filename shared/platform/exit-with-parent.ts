/**
 * When started by `npm start`'s supervisor (KEEL_PARENT_PID), stop gracefully if the supervisor
 * disappears, so a killed supervisor never leaves orphans running.
 */
export function exitWithParent(parentPid: number | undefined, stop: () => void): void {
  if (!parentPid) return;
  const timer = setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      clearInterval(timer);
      stop();
    }
  }, 1_000);
  timer.unref();
}
