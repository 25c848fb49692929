import { parseRetryAfter, type HeaderBag } from '../../../shared/policy/retry-after';

/**
 * Several API keys of one provider (`apiKeyEnvs` in KEEL_CONFIG): calls spread over the keys in
 * turn, and a key the vendor said is out is left alone until its limit resets. Out means a
 * response's `x-ratelimit-remaining-requests` / `-tokens` (OpenAI) or
 * `anthropic-ratelimit-*-remaining` (Anthropic) at 0, until the matching reset; or a 429, until
 * the later of its Retry-After (else one second) and the reset headers. A 429 on one key moves the same
 * request to the next key that is not out, each key at most once a call: a key's limit is not a
 * failure of the model. When every key is out, the one back soonest is used anyway and the
 * vendor's answer goes to Temporal's retries as before. The state is this worker's own memory:
 * each worker learns its keys' limits from the answers it gets. See docs/routing.md.
 */

/** A 429 that names no time: the key is left alone this long. */
const DEFAULT_COOLDOWN_MS = 1_000;

/** The vendors' remaining/reset header pairs. */
const LIMIT_HEADERS: ReadonlyArray<readonly [remaining: string, reset: string]> = [
  ['x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'],
  ['x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'],
  ['anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-reset'],
  ['anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-tokens-reset'],
  ['anthropic-ratelimit-input-tokens-remaining', 'anthropic-ratelimit-input-tokens-reset'],
  ['anthropic-ratelimit-output-tokens-remaining', 'anthropic-ratelimit-output-tokens-reset'],
];

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * A reset time as epoch ms: OpenAI's durations (`20ms`, `1.5s`, `6m0s`, `1h2m3s`) or an RFC 3339
 * time (Anthropic). Undefined when unreadable.
 */
export function parseReset(value: string | null | undefined, now: number): number | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  const parts = [...raw.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length > 0 && parts.map((p) => p[0]).join('') === raw) {
    return now + parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
  }
  if (/^\d+(?:\.\d+)?$/.test(raw)) return now + Number(raw) * 1_000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * Until when (epoch ms) the vendor's headers say this key is out; undefined when it is not.
 * `limited`: the response was a 429, so the key is out whatever the counters say.
 */
export function keyOutUntil(
  headers: HeaderBag | undefined,
  now: number,
  limited: boolean,
): number | undefined {
  let until: number | undefined;
  for (const [remaining, reset] of LIMIT_HEADERS) {
    const left = headers?.get(remaining);
    if (left == null || left.trim() === '' || Number(left) > 0) continue;
    const at = parseReset(headers?.get(reset), now) ?? now + DEFAULT_COOLDOWN_MS;
    until = Math.max(until ?? 0, at);
  }
  if (!limited) return until;
  return Math.max(until ?? 0, now + (parseRetryAfter(headers, now) ?? DEFAULT_COOLDOWN_MS));
}

interface PooledKey<C> {
  client: C;
  /** Epoch ms before which the key is out (0: usable). */
  outUntil: number;
}

/** What a call through the pool hands back: anything with the vendor's response headers. */
export interface WithHeaders {
  response: { headers: HeaderBag };
}

export class KeyPool<C> {
  private readonly keys: PooledKey<C>[];
  private turn = 0;

  constructor(
    clients: readonly C[],
    private readonly now: () => number = Date.now,
  ) {
    if (clients.length === 0) throw new Error('KeyPool: at least one key');
    this.keys = clients.map((client) => ({ client, outUntil: 0 }));
  }

  /** Indices to try for one call: the usable keys from this call's turn on, else the soonest back. */
  private order(): number[] {
    const now = this.now();
    const start = this.turn++ % this.keys.length;
    const rotated = this.keys.map((_, i) => (start + i) % this.keys.length);
    const usable = rotated.filter((i) => this.keys[i]!.outUntil <= now);
    if (usable.length > 0) return usable;
    const soonest = rotated.reduce((a, b) =>
      this.keys[b]!.outUntil < this.keys[a]!.outUntil ? b : a,
    );
    return [soonest];
  }

  /** Runs one request on the next key; a 429 moves it to the next usable key (see above). */
  async call<R extends WithHeaders>(run: (client: C) => Promise<R>): Promise<R> {
    const order = this.order();
    for (let n = 0; ; n++) {
      const key = this.keys[order[n]!]!;
      try {
        const result = await run(key.client);
        key.outUntil = keyOutUntil(result.response.headers, this.now(), false) ?? 0;
        return result;
      } catch (err) {
        const e = (err ?? {}) as { status?: number; headers?: HeaderBag };
        if (e.status === 429) key.outUntil = keyOutUntil(e.headers, this.now(), true) ?? 0;
        const next = order[n + 1];
        if (e.status !== 429 || next === undefined || this.keys[next]!.outUntil > this.now())
          throw err;
      }
    }
  }

  /** How many keys are usable now (for tests and metrics). */
  usable(): number {
    const now = this.now();
    return this.keys.filter((k) => k.outUntil <= now).length;
  }
}
