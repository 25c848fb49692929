/**
 * Public types of the mock upstream. Kept apart from index.ts so the engine can use them without
 * an import cycle; index.ts re-exports them as the module's API.
 */
import type { KeyQuota } from './key-quota';
import type { ScenarioName } from './scenarios';
import type { Api } from './wire';

export interface MockUpstreamOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the mock never listens beyond loopback unless asked. */
  host?: string;
  /** Added to every response before the first byte. */
  latencyMs?: number;
  /** Lognormal latency of the `slow` scenario; default median 1500 ms, p99 4000 ms. */
  slow?: { medianMs: number; p99Ms: number };
  /** Period of the `flap` scenario; default 2000 ms. */
  flapPeriodMs?: number;
  /** Seed for the `slow` jitter, so a benchmark run can be replayed exactly. */
  seed?: number;
  /** Time to first byte of the `slow-ttft` scenario; default 3000 ms. */
  ttftMs?: number;
  /** How long a `trickle` body takes from its first bytes to its last; default 20000 ms. */
  trickleMs?: number;
  /**
   * Calls of each drift scenario (`drift-refusals`, `drift-longer`, `drift-categories`,
   * `drift-unfaithful`) answered as `ok` before it drifts; a request's `x-mock-drift-after`
   * header overrides it. Default 50.
   */
  driftAfterCalls?: number;
  /** Clock for `flap` (and attempt timestamps), injectable so tests need not sleep. */
  now?: () => number;
  /**
   * Per API key, the requests it may make per window, as a vendor's rate limit: the answers
   * count down `x-ratelimit-remaining-requests` (OpenAI) / `anthropic-ratelimit-requests-remaining`,
   * and past the quota the key gets a 429 (scenario `key-quota`) until the window resets.
   */
  keyQuotas?: Readonly<Record<string, KeyQuota>>;
}

export interface Attempt {
  /** ISO time the request arrived. */
  at: string;
  api: Api;
  model: string;
  /**
   * Scenario run, or `unknown-model` / `invalid-request` for requests that matched none, or
   * `key-quota` for a request its key's quota refused (options.keyQuotas).
   */
  scenario: string;
  /** HTTP status sent; 0 when the socket was reset or the request hung. */
  status: number;
  stream: boolean;
  /** From arrival to the end of the exchange (response end, reset, or client abort). */
  latencyMs: number;
  /**
   * Who closed the connection before the response was complete: `client` (it hung up, e.g. at
   * its deadline) or `upstream` (a reset, a cut, or the mock closing). Absent while the exchange
   * is open and when the response completed.
   */
  closedBy?: 'client' | 'upstream';
  inputTokens: number;
  outputTokens: number;
  /** Whether a real vendor would charge for this attempt. */
  billed: boolean;
  requestId: string;
  /** First 8 hex digits of the SHA-256 of the API key sent (never the key); absent without one. */
  keyHash?: string;
  /** What the mock received, so a test can prove exactly what left Keel. */
  request: { messages: unknown[]; system?: unknown; tools?: string[] };
}

export interface MockUpstream {
  /** `http://127.0.0.1:PORT`; OpenAI SDK base URL is this + `/v1`, Anthropic's is this. */
  url: string;
  attempts(): Attempt[];
  clearAttempts(): void;
  /**
   * Serves requests naming `model` as `scenario` from now on, `latencyMs` later than it would
   * (undefined: as the model's own scenario again); the attempt log keeps the model asked for
   * and names the scenario served. Over HTTP: `PUT /_mock/models/<model>` with
   * `{"scenario": name, "latencyMs"?: n}`, `DELETE` to end it.
   */
  serveAs(model: string, scenario: ScenarioName | undefined, latencyMs?: number): void;
  /** Stops listening and destroys every socket, including hanging and stalled ones. */
  close(): Promise<void>;
}
