import { ProblemError } from './problem';

/**
 * Per-tenant shares of this API process's admissions (KEEL_TENANT_ADMISSIONS): at most `perTenant`
 * requests of one tenant are between admission and their workflow's start at once; the tenant's
 * others wait here, in order, for one of them to finish. What it buys: a tenant flooding the API
 * with submissions has a few in the process (and in Temporal's start path) at a time rather than
 * every connection it opened, so another tenant's request is interleaved with those few instead
 * of queued behind all of them (docs/fairness.md). A request holds its share only until its
 * workflow has started: a sync caller's wait for the answer holds nothing.
 *
 * Limits: per API process (N replicas admit N × `perTenant` of one tenant at once); a tenant with
 * `maxWaiting` requests already waiting is refused with 503 `overloaded` and `Retry-After: 1`.
 */
export class TenantShares {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(
    /** Admissions of one tenant in progress at once; 0 = no shares. */
    private readonly perTenant: number,
    private readonly maxWaiting = 1_000,
  ) {}

  /** Waits for a share of `tenantId`'s; the returned release is idempotent. */
  async acquire(tenantId: string): Promise<() => void> {
    if (this.perTenant <= 0) return () => {};
    const running = this.running.get(tenantId) ?? 0;
    if (running < this.perTenant) {
      this.running.set(tenantId, running + 1);
    } else {
      const queue = this.waiting.get(tenantId) ?? [];
      if (queue.length >= this.maxWaiting) {
        throw ProblemError.of(
          'overloaded',
          `This tenant already has ${queue.length} requests waiting to start here; retry in 1 s.`,
          { limit: this.maxWaiting },
          { headers: { 'retry-after': '1' } },
        );
      }
      this.waiting.set(tenantId, queue);
      // The share is handed over by the release that wakes this waiter: the count is unchanged.
      await new Promise<void>((resolve) => queue.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(tenantId);
    };
  }

  /** Requests of `tenantId` admitted and waiting now (for tests and metrics). */
  inUse(tenantId: string): { running: number; waiting: number } {
    return {
      running: this.running.get(tenantId) ?? 0,
      waiting: this.waiting.get(tenantId)?.length ?? 0,
    };
  }

  private release(tenantId: string): void {
    const queue = this.waiting.get(tenantId);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.waiting.delete(tenantId);
    if (next) return next();
    const running = (this.running.get(tenantId) ?? 1) - 1;
    if (running > 0) this.running.set(tenantId, running);
    else this.running.delete(tenantId);
  }
}
