/**
 * Peer gateways run side by side with Keel in the benchmark: each launcher starts one product on
 * loopback in front of the mock upstream and configures it with the same retry/fallback policy.
 */

/** Mock scenario names (the upstream's `model`), e.g. `{ primary: '503', fallback: 'ok' }`. */
export interface PeerRoute {
  primary: string;
  fallback: string;
}

export interface PeerPolicy {
  /** Attempts on each target, the first included: 2 = one retry. */
  attemptsPerTarget: number;
  /** Per attempt, in milliseconds. */
  timeoutMs: number;
  /** Statuses that earn a retry on the same target, e.g. [429, 500, 502, 503, 504]. */
  retryOnStatus: number[];
}

export interface Peer {
  name: 'portkey' | 'litellm';
  /** The installed version. */
  version: string;
  /** OpenAI-compatible base URL ending in /v1, for `new OpenAI({ baseURL, apiKey })`. */
  baseURL: string;
  apiKey: string;
  /** The `model` to send and extra headers for one request along this route. */
  request(route: PeerRoute): { model: string; headers: Record<string, string> };
  /** Every OS process of this peer (for RSS sampling), children included. */
  pids(): number[];
  /** Kills everything it started, no stragglers. */
  stop(): Promise<void>;
}
