/**
 * Failed authentications per client address (docs/limits.md): after `perMinute` failures (a
 * missing, malformed, unknown, revoked or expired key) within a fixed one-minute window, every
 * request from that address that needs a key is refused with 429 until the window ends — a valid
 * key too, so guessing cannot go on by learning which key works. Counted in this process's
 * memory: with N API processes an address gets up to N × the limit. At most `maxAddresses` are
 * tracked; the oldest window is dropped first.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Seconds until the address may try again, or undefined when it may try now. */
  blockedFor(address: string): number | undefined {
    if (this.perMinute <= 0) return undefined;
    const w = this.current(address);
    if (!w || w.failures < this.perMinute) return undefined;
    return Math.max(1, Math.ceil((w.start + 60_000 - this.now()) / 1000));
  }

  /** One failed authentication from the address. */
  fail(address: string): void {
    if (this.perMinute <= 0) return;
    const w = this.current(address);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= this.maxAddresses) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(address, { start: this.now(), failures: 1 });
  }

  private current(address: string): { start: number; failures: number } | undefined {
    const w = this.windows.get(address);
    if (!w) return undefined;
    if (this.now() - w.start >= 60_000) {
      this.windows.delete(address);
      return undefined;
    }
    return w;
  }
}
