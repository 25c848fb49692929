/**
 * Sync requests first (KEEL_ASYNC_YIELD_MS): an async submission (`maxSyncMs: 0`: nobody waits
 * for its answer) that arrives while a sync request is in progress in this API process waits until
 * none is, or at most `maxHoldMs`, before it is admitted and its workflow started. What it buys:
 * while one tenant floods the API with async work, the starts it would send to Temporal pause for
 * the few tens of milliseconds another tenant's sync request runs, so that request has the server
 * and the CPU to itself instead of sharing them with the flood (docs/fairness.md). An async
 * submission's 202 comes that much later; nothing is refused here.
 *
 * Limits: per API process (a sync request in another replica does not pause this one's starts);
 * under a steady sync load every async submission waits `maxHoldMs`, so with the tenant shares
 * (KEEL_TENANT_ADMISSIONS) a tenant's async rate per process is at least shares ÷ maxHoldMs.
 */
export class SyncFirst {
  private inProgress = 0;
  private waiters: (() => void)[] = [];

  constructor(
    /** The longest an async submission waits for sync requests to finish; 0 = off. */
    private readonly maxHoldMs: number,
  ) {}

  /** A sync request starts; the returned `done` (idempotent) says it has its answer. */
  enter(): () => void {
    if (this.maxHoldMs <= 0) return () => {};
    this.inProgress += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inProgress -= 1;
      if (this.inProgress === 0) this.wakeAll();
    };
  }

  /** An async submission's turn: now if no sync request is in progress, else when none is. */
  async yieldToSync(): Promise<void> {
    if (this.maxHoldMs <= 0 || this.inProgress === 0) return;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      }, this.maxHoldMs);
      this.waiters.push(wake);
    });
  }

  /** Sync requests in progress and async submissions waiting (tests, metrics). */
  state(): { syncInProgress: number; asyncWaiting: number } {
    return { syncInProgress: this.inProgress, asyncWaiting: this.waiters.length };
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
