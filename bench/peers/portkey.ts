/**
 * Portkey's open-source AI gateway (`@portkey-ai/gateway`, a dev dependency) as a benchmark peer.
 *
 * Run as `node build/start-server.js --port=P --headless` straight from node_modules. Its skipped
 * `postinstall: patch-package` does not matter: the published package ships no `patches/` folder,
 * so patch-package would have had nothing to apply.
 *
 * Everything routing-related travels per request in the `x-portkey-config` header (the OSS
 * gateway has no config file). Semantics, read from build/start-server.js 1.15.2 and checked
 * against the mock's attempt log (bench/peers/smoke.ts):
 * - `retry.attempts` counts RETRIES (async-retry `{ retries: attempts }`): attempts + 1 calls per
 *   target, so `attemptsPerTarget - 1`. Waits between calls come from async-retry's defaults
 *   (1 s, then 2 s, ...; no jitter). Retry-After is ignored unless `use_retry_after_header`.
 * - `request_timeout` is per attempt (an AbortController around fetch, up to response headers
 *   only, so a body stalling after the headers is not cut). A timed-out attempt becomes a
 *   synthetic 408, retried only if 408 is in `retry.on_status_codes`: we add it so timeouts are
 *   retried like the other peers do. Connection errors (reset) are retried regardless of status.
 * - `strategy: { mode: 'fallback' }` with no `on_status_codes` moves to the next target on any
 *   non-2xx final answer of the previous one (after its retries). Retry and timeout set at the
 *   top level are inherited by both targets, so the fallback target gets the same retries.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../test/support/free-port';
import { ROOT } from '../../test/support/processes';
import { spawnPeer, waitUntilReady } from './proc';
import type { Peer, PeerPolicy, PeerRoute } from './types';

const PACKAGE_DIR = path.join(ROOT, 'node_modules/@portkey-ai/gateway');

/**
 * The gateway's node server listens on every interface (no host flag). This preload pins its
 * listen() to loopback: an unauthenticated relay should not be reachable from the network for
 * the length of a benchmark. It only fills in a missing host, which is how @hono/node-server
 * calls listen(port, undefined, cb).
 */
const LOOPBACK_ONLY =
  'data:text/javascript,' +
  encodeURIComponent(
    'import net from "node:net";' +
      'const listen = net.Server.prototype.listen;' +
      'net.Server.prototype.listen = function (...args) {' +
      '  if (typeof args[0] === "number" && args[1] === undefined) args[1] = "127.0.0.1";' +
      '  return listen.apply(this, args);' +
      '};',
  );

/**
 * Streaming through the gateway on Node fails with `TypeError: immutable` and a 500 ("Something
 * went wrong"): an OpenAI stream is passed through as the upstream `fetch` Response, whose headers
 * are immutable, and the gateway then appends its `x-portkey-*` headers to it (Portkey-AI/gateway
 * issues 1389 and 1550). This preload does what the proposed fix (pull request 1551) does: every
 * upstream Response is re-wrapped, same body stream and status, with mutable headers. Errors of
 * the body (a cut, a stall) still reach the gateway as they would.
 */
const MUTABLE_UPSTREAM_HEADERS =
  'data:text/javascript,' +
  encodeURIComponent(
    'const fetch0 = globalThis.fetch;' +
      'globalThis.fetch = async (...args) => {' +
      '  const res = await fetch0(...args);' +
      '  return new Response(res.body, res);' +
      '};',
  );

/** A synthetic status Portkey gives an attempt that hit `request_timeout`. */
const TIMEOUT_STATUS = 408;

export function portkeyConfig(upstreamBaseURL: string, policy: PeerPolicy, route: PeerRoute) {
  const target = (model: string) => ({
    provider: 'openai',
    api_key: 'mock',
    custom_host: upstreamBaseURL,
    override_params: { model },
  });
  return {
    strategy: { mode: 'fallback' },
    retry: {
      attempts: Math.max(0, policy.attemptsPerTarget - 1),
      on_status_codes: [...new Set([...policy.retryOnStatus, TIMEOUT_STATUS])],
    },
    request_timeout: policy.timeoutMs,
    targets: [target(route.primary), target(route.fallback)],
  };
}

export async function startPortkey(opts: {
  upstreamBaseURL: string;
  policy: PeerPolicy;
  port?: number;
}): Promise<Peer> {
  const { version } = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
    version: string;
  };
  const port = opts.port ?? (await freePort());
  const proc = spawnPeer(
    process.execPath,
    [
      '--import',
      LOOPBACK_ONLY,
      '--import',
      MUTABLE_UPSTREAM_HEADERS,
      path.join(PACKAGE_DIR, 'build/start-server.js'),
      `--port=${port}`,
      // No UI routes and no log-stream endpoint: just the gateway.
      '--headless',
    ],
    { cwd: PACKAGE_DIR, env: { ...process.env } },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(
      'portkey gateway',
      proc,
      async () => (await fetch(`${base}/`, { signal: AbortSignal.timeout(1_000) })).ok,
      30_000,
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  // The header is identical for every request along a route: build it once.
  const headers = new Map<string, string>();
  return {
    name: 'portkey',
    version,
    baseURL: `${base}/v1`,
    // The targets carry the upstream key; the gateway itself checks none.
    apiKey: 'portkey-bench',
    request(route) {
      const key = `${route.primary}\n${route.fallback}`;
      let config = headers.get(key);
      if (config === undefined) {
        config = JSON.stringify(portkeyConfig(opts.upstreamBaseURL, opts.policy, route));
        headers.set(key, config);
      }
      // `model` is replaced by each target's override_params.model.
      return { model: route.primary, headers: { 'x-portkey-config': config } };
    },
    pids: () => proc.pids(),
    stop: () => proc.stop(),
  };
}
