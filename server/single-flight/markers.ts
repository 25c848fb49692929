/**
 * Short-lived markers shared by the API processes: which job is in flight for a single-flight key,
 * which request is the latest of a debounce key. In Redis when KEEL_REDIS_URL is set
 * (`RedisMarkers`, every replica sees the same), in this process otherwise (`MemoryMarkers`).
 * Keys are digests; values are job ids or random tokens: nothing a caller sent is kept.
 */
export interface MarkerStore {
  /**
   * Sets `key` to `value` unless it holds a live value already; returns what it holds afterwards
   * (`value` when this call set it). One atomic step.
   */
  claim(key: string, value: string, ttlMs: number): Promise<string>;
  /** Sets `key` to `value` and returns the value it replaced, if any. One atomic step. */
  replace(key: string, value: string, ttlMs: number): Promise<string | undefined>;
  get(key: string): Promise<string | undefined>;
  /** Removes `key` if it still holds `value` (a newer value stays). */
  drop(key: string, value: string): Promise<void>;
  /**
   * `listener` hears every value `replace` replaced, in this process and (Redis) in every other
   * one. Delivery is best effort: whoever must not miss it reads `get` as well.
   */
  onReplaced(listener: (value: string) => void): void;
  close(): Promise<void>;
}

interface Marker {
  value: string;
  expiresAt: number;
}

/** Most markers one process keeps; past it the oldest is dropped (its key then runs unshared). */
export const DEFAULT_MAX_MARKERS = 10_000;

/**
 * Markers in this process: a Map in insertion order with a deadline per entry. Bounded: expired
 * entries are swept as new ones arrive, and past `maxEntries` the oldest goes (a lost marker costs
 * a shared call or a debounce, never a wrong answer).
 */
export class MemoryMarkers implements MarkerStore {
  private readonly entries = new Map<string, Marker>();
  private readonly listeners: ((value: string) => void)[] = [];

  constructor(
    private readonly maxEntries = DEFAULT_MAX_MARKERS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  claim(key: string, value: string, ttlMs: number): Promise<string> {
    const held = this.live(key);
    if (held !== undefined) return Promise.resolve(held);
    this.set(key, value, ttlMs);
    return Promise.resolve(value);
  }

  replace(key: string, value: string, ttlMs: number): Promise<string | undefined> {
    const previous = this.live(key);
    this.set(key, value, ttlMs);
    if (previous !== undefined) for (const listener of this.listeners) listener(previous);
    return Promise.resolve(previous);
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.live(key));
  }

  drop(key: string, value: string): Promise<void> {
    if (this.entries.get(key)?.value === value) this.entries.delete(key);
    return Promise.resolve();
  }

  onReplaced(listener: (value: string) => void): void {
    this.listeners.push(listener);
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }

  private live(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  private set(key: string, value: string, ttlMs: number): void {
    const now = this.now();
    // Re-inserted at the end: the Map's order stays the order of last writes.
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + ttlMs });
    if (this.entries.size <= this.maxEntries) return;
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
    // Still full of live markers: the oldest writes go.
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(k);
    }
  }
}
