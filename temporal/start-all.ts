import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTemporalConnector } from '../shared/platform/temporal-connection';
import {
  ConfigError,
  EMBEDDED_DEFAULTS,
  loadConfig,
  type KeelConfig,
} from '../shared/platform/config';
import { resolveDemoApiKey } from '../shared/platform/demo-key';
import { assertSupportedNode } from '../shared/platform/node-version';
import { resolveSecret } from '../shared/platform/secret-file';
import { findTemporalCli, TemporalCliNotFoundError } from './cli';
import { startDevServer, stopProcess, waitForTemporal, type DevServer } from './dev-server';
import { DEFAULT_RESTART_POLICY, nextRestart } from './restart-policy';
import { ensureSearchAttributes } from './search-attributes';

/**
 * `npm start`: the whole service on one machine. Embedded Temporal dev server (SQLite under
 * `.keel/`, Web UI on :8233) unless TEMPORAL_ADDRESS is set, then the API process with its worker
 * inside (KEEL_EMBEDDED_WORKER, on by default here; `false` runs the worker as a process of its
 * own). Ctrl-C / SIGTERM stops the API, lets the worker drain, then stops Temporal.
 * It turns the demo tenant on (EMBEDDED_DEFAULTS) and hands its processes the demo key and the
 * input-key secret: the operator's when set (never printed), else generated and kept under
 * `.keel/`.
 */
const ROOT = path.resolve(__dirname, '..');
const say = (line: string): void => console.log(`[keel] ${line}`);
/** Relative to the repo when inside it (`.keel/demo-api-key`), absolute otherwise. */
const displayPath = (file: string): string =>
  file.startsWith(ROOT + path.sep) ? path.relative(ROOT, file) : file;

/** A supervised process: the current child, and its last output lines for a crash report. */
interface Part {
  name: string;
  child: ChildProcess;
  lastLines: string[];
}

const KEEP_LINES = 20;

function spawnPart(name: string, entry: string, env: NodeJS.ProcessEnv): Part {
  // One node process per part (no tsx wrapper), so signals reach it directly.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: Ctrl-C reaches only us, and we stop parts in order
  });
  const part: Part = { name, child, lastLines: [] };
  const keep = (out: NodeJS.WriteStream) => (chunk: Buffer) => {
    out.write(chunk);
    part.lastLines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim()),
    );
    part.lastLines.splice(0, Math.max(0, part.lastLines.length - KEEP_LINES));
  };
  child.stdout?.on('data', keep(process.stdout));
  child.stderr?.on('data', keep(process.stderr));
  return part;
}

async function waitForHttp(url: string, timeoutMs: number, parts: Part[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (parts.some((p) => p.child.exitCode !== null))
      throw new Error('a Keel process exited during start-up');
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`);
}

async function startTemporal(config: KeelConfig): Promise<DevServer | undefined> {
  if (!config.temporal.embedded) {
    say(`using Temporal at ${config.temporal.address} (TEMPORAL_ADDRESS)`);
    return undefined;
  }
  try {
    await waitForTemporal(config.temporal.address, 1_000);
    say(`a Temporal server already answers at ${config.temporal.address}; using it`);
    return undefined;
  } catch {
    // nothing there: start our own
  }
  const cli = await findTemporalCli({
    dataDir: config.dataDir,
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    install: true,
    log: say,
  });
  say(`temporal CLI: ${cli.path} (${cli.source})`);
  return startDevServer({
    cliPath: cli.path,
    port: config.devServer.port,
    uiPort: config.devServer.uiPort,
    dbFile: path.join(config.dataDir, 'temporal.db'),
    sqlitePragmas: config.devServer.sqlitePragmas,
    namespace: config.temporal.namespace,
  });
}

/** The demo key line and the key to put in the curl example; an operator's key is never printed. */
function demoLines(config: KeelConfig, demo: ReturnType<typeof resolveDemoApiKey> | undefined) {
  if (!demo) {
    return {
      line: 'Demo tenant  off (KEEL_DEMO_TENANT=false)',
      bearer: '<an API key from KEEL_CONFIG>',
    };
  }
  if (demo.source === 'env') {
    return {
      line: 'Demo API key from KEEL_DEMO_API_KEY (not printed)',
      bearer: '$KEEL_DEMO_API_KEY',
    };
  }
  const file = displayPath(path.join(config.dataDir, 'demo-api-key'));
  return { line: `Demo API key ${demo.key}   (kept in ${file})`, bearer: demo.key };
}

async function main(): Promise<void> {
  assertSupportedNode();
  const config = loadConfig(process.env, { defaults: EMBEDDED_DEFAULTS });
  let temporal = await startTemporal(config);
  // Whatever ends this process (a crash included), the dev server we started goes with it.
  process.on('exit', () => {
    if (temporal && temporal.process.exitCode === null) temporal.process.kill('SIGTERM');
  });
  try {
    const connection = await createTemporalConnector(config.temporal).connect();
    const added = await ensureSearchAttributes(connection, config.temporal.namespace).finally(() =>
      connection.close(),
    );
    if (added.length) say(`registered search attributes ${added.join(', ')}`);
  } catch (err) {
    await temporal?.stop(); // never leave our dev server behind
    throw err;
  }

  const demo = config.demoTenant
    ? resolveDemoApiKey({ configured: config.demoApiKey, dataDir: config.dataDir })
    : undefined;
  const inputKey = resolveSecret({
    configured: config.inputKeySecret,
    dataDir: config.dataDir,
    name: 'input-key-secret',
  });
  if (inputKey.source === 'generated')
    say(
      `generated an input-key secret, kept in ${displayPath(path.join(config.dataDir, 'input-key-secret'))}`,
    );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: config.temporal.address,
    KEEL_DEMO_TENANT: String(config.demoTenant),
    KEEL_INPUT_KEY_SECRET: inputKey.value,
    KEEL_PARENT_PID: String(process.pid),
  };
  if (demo) env.KEEL_DEMO_API_KEY = demo.key;
  else delete env.KEEL_DEMO_API_KEY;
  // The API runs the worker in its own process by default (KEEL_EMBEDDED_WORKER): one
  // connection, eager starts. With KEEL_EMBEDDED_WORKER=false the worker is a process of its own.
  env.KEEL_EMBEDDED_WORKER = String(config.embeddedWorker);
  const spawnWorker = (): Part => spawnPart('the worker', 'worker/main.ts', env);
  const spawnApi = (): Part =>
    spawnPart(
      config.embeddedWorker ? 'the API (with its worker)' : 'the API',
      'server/main.ts',
      env,
    );
  let worker = config.embeddedWorker ? undefined : spawnWorker();
  let server = spawnApi();
  const parts = (): Part[] => (worker ? [server, worker] : [server]);

  let stopping = false;
  /** Ready once: from then on a crash is restarted; before it, it stops the start-up. */
  let running = false;
  const stop = async (code: number): Promise<never> => {
    if (stopping) return new Promise(() => undefined);
    stopping = true;
    if (worker) {
      say('stopping: API first, then the worker (draining in-flight tasks), then Temporal');
      await stopProcess(server.child, 10_000);
      await stopProcess(worker.child, config.shutdownGraceMs + 5_000);
    } else {
      say('stopping: the API and its worker (draining in-flight tasks), then Temporal');
      await stopProcess(server.child, config.shutdownGraceMs + 10_000);
    }
    await temporal?.stop(10_000);
    say('stopped');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void stop(0));
  }

  // A process that dies after start-up is restarted with backoff (temporal/restart-policy.ts);
  // a crash loop stops everything, naming the process and its last lines.
  const restarts = new Map<string, number[]>();
  const onCrash = async (
    name: string,
    detail: string,
    lastLines: readonly string[],
    restart: () => Promise<void>,
  ): Promise<void> => {
    if (stopping) return;
    if (!running) {
      say(`${name} exited during start-up (${detail}); stopping everything`);
      return void stop(1);
    }
    const history = restarts.get(name) ?? [];
    const decision = nextRestart(history, Date.now());
    if (!decision.restart) {
      say(
        `${name} crashed again (${detail}), ${decision.recent} restarts within ${DEFAULT_RESTART_POLICY.windowMs / 1000} s: ` +
          `a crash loop; stopping everything. Its last lines:\n${lastLines.map((l) => `    ${l}`).join('\n')}`,
      );
      return void stop(1);
    }
    history.push(Date.now());
    restarts.set(name, history);
    say(
      `${name} exited unexpectedly (${detail}); restarting in ${decision.delayMs} ms ` +
        `(restart ${decision.recent + 1} of at most ${DEFAULT_RESTART_POLICY.limit} within ${DEFAULT_RESTART_POLICY.windowMs / 1000} s)`,
    );
    await new Promise((r) => setTimeout(r, decision.delayMs));
    if (stopping) return;
    try {
      await restart();
      say(`${name} restarted`);
    } catch (err) {
      await onCrash(
        name,
        `restart failed: ${err instanceof Error ? err.message : String(err)}`,
        lastLines,
        restart,
      );
    }
  };
  const watch = (get: () => Part, set: (p: Part) => void, respawn: () => Part): void => {
    const part = get();
    part.child.on('exit', (code, signal) => {
      void onCrash(part.name, `code ${code}, signal ${signal}`, part.lastLines, () => {
        set(respawn());
        watch(get, set, respawn);
        return Promise.resolve();
      });
    });
  };
  watch(
    () => server,
    (p) => (server = p),
    spawnApi,
  );
  if (worker) {
    watch(
      () => worker!,
      (p) => (worker = p),
      spawnWorker,
    );
  }
  const watchTemporal = (): void => {
    const current = temporal;
    current?.process.on('exit', (code, signal) => {
      void onCrash('the Temporal dev server', `code ${code}, signal ${signal}`, [], async () => {
        temporal = await startTemporal(config);
        watchTemporal();
      });
    });
  };
  watchTemporal();

  const api = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  await waitForHttp(`${api}/readyz`, 120_000, parts());
  running = true;
  const ui = temporal?.uiUrl ?? "(your cluster's Web UI)";
  const { line, bearer } = demoLines(config, demo);
  console.log(
    [
      '',
      '  Keel is running.',
      `    API          ${api}`,
      `    API docs     ${api}/docs`,
      `    Temporal UI  ${ui}`,
      `    Temporal     ${config.temporal.address} (namespace ${config.temporal.namespace})`,
      `    ${line}`,
      '',
      '  Try:',
      `    curl -s -H "Authorization: Bearer ${bearer}" -H 'content-type: application/json' \\`,
      `      -d '{"input":{"subject":"Refund","body":"I was charged twice for my subscription"}}' \\`,
      `      ${api}/v1/tasks/classify-ticket`,
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  if (err instanceof TemporalCliNotFoundError || err instanceof ConfigError)
    console.error(err.message);
  else console.error(err);
  process.exit(1);
});
