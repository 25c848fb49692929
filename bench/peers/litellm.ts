/**
 * The LiteLLM proxy as a benchmark peer, in its own venv under .keel/bench (created on first use,
 * reused while it holds the pinned version).
 *
 * Pinned to 1.106.12: 1.107.0 was a compromised release (and is gone from the index), and every
 * later version's `[proxy]` extra pins a `litellm-proxy` / `litellm-proxy-extras` release the
 * package index here does not have, so 1.106.12 is the newest that installs cleanly.
 *
 * One model group per mock scenario, `s-<scenario>` → `openai/<scenario>` at the upstream; the
 * route's fallback comes from `router_settings.fallbacks` (`s-<x>` → `s-ok`). A route whose
 * fallback is not `ok` gets its own group `r-<primary>--<fallback>` (pass it in `opts.routes`).
 * We could instead send `fallbacks` in the request body, but Peer.request() only shapes the
 * model and headers, so the body stays the same for every peer.
 *
 * Semantics, read from litellm/router.py 1.106.12 and checked against the mock's attempt log
 * (bench/peers/smoke.ts):
 * - `num_retries` counts RETRIES: `attemptsPerTarget - 1`, for the primary group and again for
 *   the fallback group. Which errors are retried is LiteLLM's own rule, not `retryOnStatus`:
 *   408 (its timeouts), 409, 429, every 5xx, and connection errors; 400/401/404 are not.
 * - Waits between retries of a single-deployment group: Retry-After when 0 < s <= 60, else
 *   0.5 s * 2^n; both plus up to 0.75 s of random jitter.
 * - `timeout` (seconds) is per attempt, the OpenAI SDK's httpx timeout inside LiteLLM: it bounds
 *   connect and each read, so a stall mid-body also ends the attempt.
 * - Cooldowns are off (`disable_cooldowns`): with them on, a failing single-deployment group is
 *   benched for 5 s after 3 failures in a minute and a 429 skips straight to the fallback, which
 *   would make results depend on the order requests ran in. Portkey's OSS gateway has none.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { freePort } from '../../test/support/free-port';
import { ROOT } from '../../test/support/processes';
import { run, spawnPeer, waitUntilReady } from './proc';
import type { Peer, PeerPolicy, PeerRoute } from './types';

export const LITELLM_VERSION = '1.106.12';
export const LITELLM_VENV = path.join(ROOT, '.keel/bench/litellm-venv');

/** The scenario every `s-<x>` group falls back to. */
const DEFAULT_FALLBACK = 'ok';

const group = (scenario: string): string => `s-${scenario}`;
const routeGroup = (route: PeerRoute): string => `r-${route.primary}--${route.fallback}`;

/** Environment that keeps the proxy off the network and quiet. */
const QUIET_OFFLINE_ENV: Record<string, string> = {
  LITELLM_LOG: 'ERROR',
  // Bundled copies instead of fetching from GitHub at startup / on first use.
  LITELLM_LOCAL_MODEL_COST_MAP: 'True',
  LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS: 'True',
  LITELLM_LOCAL_AUTOROUTER_PRESETS: 'True',
  LITELLM_LOCAL_BLOG_POSTS: 'True',
  LITELLM_LOCAL_POLICY_TEMPLATES: 'True',
  // DEV mode loads a .env from the working directory.
  LITELLM_MODE: 'PRODUCTION',
  LITELLM_TELEMETRY: 'False',
  NO_COLOR: '1',
  PYTHONDONTWRITEBYTECODE: '1',
};

async function installedVersion(python: string): Promise<string | undefined> {
  if (!existsSync(python)) return undefined;
  try {
    const out = await run(python, [
      '-c',
      'import importlib.metadata as m; print(m.version("litellm"))',
    ]);
    return out.trim();
  } catch {
    return undefined;
  }
}

/** The venv's python, with `litellm[proxy]==LITELLM_VERSION` installed (a few minutes the first time). */
export async function ensureLiteLLMVenv(venv = LITELLM_VENV): Promise<string> {
  const python = path.join(venv, 'bin/python');
  if ((await installedVersion(python)) === LITELLM_VERSION) return python;
  process.stderr.write(`litellm: installing litellm[proxy]==${LITELLM_VERSION} into ${venv}\n`);
  mkdirSync(path.dirname(venv), { recursive: true });
  await run('python3', ['-m', 'venv', '--clear', venv]);
  await run(python, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `litellm[proxy]==${LITELLM_VERSION}`,
  ]);
  const got = await installedVersion(python);
  if (got !== LITELLM_VERSION) throw new Error(`litellm venv holds ${got}, not ${LITELLM_VERSION}`);
  return python;
}

export function liteLLMConfig(opts: {
  upstreamBaseURL: string;
  policy: PeerPolicy;
  scenarios: readonly string[];
  routes?: readonly PeerRoute[];
  masterKey: string;
}) {
  const params = (scenario: string) => ({
    model: `openai/${scenario}`,
    api_base: opts.upstreamBaseURL,
    api_key: 'mock',
    timeout: opts.policy.timeoutMs / 1000,
    stream_timeout: opts.policy.timeoutMs / 1000,
  });
  const scenarios = [...new Set(opts.scenarios)];
  const extraRoutes = (opts.routes ?? []).filter((r) => r.fallback !== DEFAULT_FALLBACK);
  const fallbacks: Record<string, string[]>[] = [
    ...(scenarios.includes(DEFAULT_FALLBACK)
      ? scenarios
          .filter((s) => s !== DEFAULT_FALLBACK)
          .map((s) => ({ [group(s)]: [group(DEFAULT_FALLBACK)] }))
      : []),
    ...extraRoutes.map((r) => ({ [routeGroup(r)]: [group(r.fallback)] })),
  ];
  return {
    model_list: [
      ...scenarios.map((s) => ({ model_name: group(s), litellm_params: params(s) })),
      ...extraRoutes.map((r) => ({ model_name: routeGroup(r), litellm_params: params(r.primary) })),
    ],
    router_settings: {
      num_retries: Math.max(0, opts.policy.attemptsPerTarget - 1),
      fallbacks,
      disable_cooldowns: true,
      allowed_fails: 1_000_000,
      retry_after: 0,
    },
    litellm_settings: {
      telemetry: false,
      set_verbose: false,
      json_logs: false,
      turn_off_message_logging: true,
      // Keep request bodies as sent (response_format included); fail rather than drop.
      drop_params: false,
    },
    general_settings: {
      master_key: opts.masterKey,
      disable_spend_logs: true,
      disable_error_logs: true,
    },
  };
}

export async function startLiteLLM(opts: {
  upstreamBaseURL: string;
  policy: PeerPolicy;
  scenarios: readonly string[];
  /** Routes whose fallback is not `ok` need their own model group: list them here. */
  routes?: readonly PeerRoute[];
  port?: number;
}): Promise<Peer> {
  const python = await ensureLiteLLMVenv();
  const masterKey = `sk-bench-${randomUUID()}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-litellm-'));
  const configPath = path.join(dir, 'config.yaml');
  // JSON is valid YAML, and spares us a YAML writer.
  writeFileSync(configPath, `${JSON.stringify(liteLLMConfig({ ...opts, masterKey }), null, 2)}\n`);
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = { ...process.env, ...QUIET_OFFLINE_ENV };
  // No database: spend tracking, keys and the admin UI stay off.
  delete env.DATABASE_URL;
  delete env.LITELLM_MASTER_KEY;
  const proc = spawnPeer(
    path.join(path.dirname(python), 'litellm'),
    ['--config', configPath, '--port', String(port), '--host', '127.0.0.1', '--num_workers', '1'],
    { cwd: dir, env },
  );
  const base = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(
      'litellm proxy',
      proc,
      async () =>
        (await fetch(`${base}/health/liveliness`, { signal: AbortSignal.timeout(1_000) })).ok,
      120_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const known = new Set(opts.scenarios);
  const pairs = new Set((opts.routes ?? []).map(routeGroup));
  return {
    name: 'litellm',
    version: LITELLM_VERSION,
    baseURL: `${base}/v1`,
    apiKey: masterKey,
    request(route) {
      if (!known.has(route.primary) || !known.has(route.fallback)) {
        throw new Error(`litellm: scenario of ${JSON.stringify(route)} not in opts.scenarios`);
      }
      if (route.fallback === DEFAULT_FALLBACK) return { model: group(route.primary), headers: {} };
      if (pairs.has(routeGroup(route))) return { model: routeGroup(route), headers: {} };
      throw new Error(`litellm: route ${JSON.stringify(route)} needs to be listed in opts.routes`);
    },
    pids: () => proc.pids(),
    stop,
  };
}
