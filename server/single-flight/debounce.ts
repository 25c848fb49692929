import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ProblemError } from '../problem';
import { CallMarkers } from './call-markers';

/** A debounce marker outlives its window by this much (the winner's final check reads it). */
const MARKER_SLACK_MS = 5_000;

/** Most requests one process holds in a debounce window; past it, new ones run at once. */
export const MAX_DEBOUNCE_WAITERS = 10_000;

/** `options.debounce`: the caller's key for a stream of requests, and the quiet window. */
export interface DebounceOption {
  key: string;
  ms: number;
}

/**
 * `options.debounce: {key, ms}` for keystroke-style callers: of the requests a tenant sends with
 * one key, a request runs only when no later one came within `ms` of it; each earlier one is
 * answered 409 `superseded` the moment a later one arrives. The latest request of a key is one
 * marker (Redis with KEEL_REDIS_URL, so the replicas agree; process memory otherwise) that each
 * request replaces in one atomic step; the replaced request is told through the store
 * (`onReplaced`, Redis pub/sub across processes) and, should that message be lost, by reading the
 * marker again when its window ends. docs/single-flight.md.
 */
@Injectable()
export class Debounce {
  /** Requests of this process inside their window: token → how to tell one it was superseded. */
  private readonly waiters = new Map<string, () => void>();

  constructor(@Inject(CallMarkers) private readonly markers: CallMarkers) {
    markers.store.onReplaced((token) => this.waiters.get(token)?.());
  }

  /** Requests of this process waiting in a debounce window now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /**
   * Resolves once this request has been the latest of its key for `ms`; rejects with 409
   * `superseded` as soon as a later one arrives. A failing store lets the request run at once.
   */
  async wait(args: { tenantId: string; debounce: DebounceOption }): Promise<void> {
    const { ms } = args.debounce;
    if (this.waiters.size >= MAX_DEBOUNCE_WAITERS) return;
    const marker = `debounce:${digest(args.tenantId, args.debounce.key)}`;
    const token = randomUUID();
    let superseded = false;
    let wake: () => void = () => {};
    const woken = new Promise<void>((resolve) => (wake = resolve));
    // Listening before the marker names this request: no later request can be missed.
    this.waiters.set(token, () => {
      superseded = true;
      wake();
    });
    const timer = setTimeout(wake, ms);
    try {
      try {
        await this.markers.store.replace(marker, token, ms + MARKER_SLACK_MS);
      } catch (err) {
        this.markers.failed(err, 'debounce replace');
        return;
      }
      await woken;
      if (!superseded) {
        // The notice may have been lost (a subscriber reconnecting): the marker has the last word.
        const latest = await this.markers.store.get(marker).catch((err: unknown) => {
          this.markers.failed(err, 'debounce check');
          return undefined;
        });
        superseded = latest !== undefined && latest !== token;
      }
      if (superseded) {
        throw ProblemError.of('superseded');
      }
    } finally {
      clearTimeout(timer);
      this.waiters.delete(token);
    }
  }
}

/** The caller's key is its own (it may be meaningful): only a digest reaches the store. */
function digest(tenantId: string, key: string): string {
  return createHash('sha256').update(`${tenantId}\n${key}`).digest('hex');
}
