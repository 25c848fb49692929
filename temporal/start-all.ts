import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTemporalConnector } from '../shared/platform/temporal-connection';
import {
  ConfigError,
  EMBEDDED_DEFAULTS,
  loadConfig,
  type KeelConfig,
} from '../shared/platform/config';
import type { resolveDemoApiKey } from '../shared/platform/demo-key';
import { assertSupportedNode } from '../shared/platform/node-version';
import { findTemporalCli, TemporalCliNotFoundError } from './cli';
import { startDevServer, waitForTemporal } from './dev-server';
import { keelProcessEnv } from './keel-env';
import { CALLER_NAMESPACE, ensureNexusEndpoint, startNexusEndpoints } from './nexus-endpoint';
import { spawnKeel, waitForHttpOk } from './keel-process';
import { ensureSearchAttributes } from './search-attributes';
import { startReaper } from './reaper';
import { SUPERVISOR_STATE_FILE, Supervisor, type PartSpec } from './supervisor';

/**
 * `npm start`: the whole service on one machine. Embedded Temporal dev server (SQLite under
 * `.keel/`, Web UI on :8233) unless TEMPORAL_ADDRESS is set, then the API process with its worker
 * inside (KEEL_EMBEDDED_WORKER, on by default here; `false` runs the worker as a process of its
 * own). Each runs under the Supervisor (supervisor.ts): restarted with backoff when it dies, its
 * pid in `.keel/supervisor.json`. Ctrl-C / SIGTERM stops the API, lets the worker drain, then
 * stops Temporal; a second one forces.
 * It turns the demo tenant on (EMBEDDED_DEFAULTS) and hands its processes the demo key, the
 * input-key secret and the payload encryption keys: the operator's when set (never printed), else
 * generated and kept under `.keel/`. The dev server's Web UI decodes payloads through the API's
 * codec server (`--ui-codec-endpoint`, docs/encryption.md).
 */
const ROOT = path.resolve(__dirname, '..');
const say = (line: string): void => console.log(`[keel] ${line}`);
/** Relative to the repo when inside it (`.keel/demo-api-key`), absolute otherwise. */
const displayPath = (file: string): string =>
  file.startsWith(ROOT + path.sep) ? path.relative(ROOT, file) : file;

/** A Keel process of `npm start`: its output goes to the terminal as it comes. */
function spawnPart(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawnKeel(entry, env);
  child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return child;
}

/**
 * The embedded dev server as a supervised part (search attributes registered on every start),
 * or nothing when Keel uses a Temporal it did not start.
 */
async function temporalPart(config: KeelConfig): Promise<PartSpec | undefined> {
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
  return {
    name: 'temporal',
    label: 'the Temporal dev server',
    stopGraceMs: 10_000,
    start: async (spawned) => {
      const server = await startDevServer({
        onSpawn: spawned,
        cliPath: cli.path,
        port: config.devServer.port,
        uiPort: config.devServer.uiPort,
        dbFile: path.join(config.dataDir, 'temporal.db'),
        sqlitePragmas: config.devServer.sqlitePragmas,
        namespace: config.temporal.namespace,
        // Where workflows of other teams may run to call Keel over Nexus (docs/nexus.md).
        extraNamespaces: [CALLER_NAMESPACE],
        // The Web UI shows payloads decoded through the API's codec server (docs/encryption.md).
        uiCodecEndpoint: `${apiUrl(config)}/codec`,
      });
      try {
        await registerSearchAttributes(config);
      } catch (err) {
        await server.stop(); // never leave our dev server behind
        throw err;
      }
      return server.process;
    },
  };
}

/** Where the API answers on this machine. */
const apiUrl = (config: KeelConfig): string =>
  `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;

async function registerSearchAttributes(config: KeelConfig): Promise<void> {
  const connection = await createTemporalConnector(config.temporal).connect();
  const added = await ensureSearchAttributes(connection, config.temporal.namespace).finally(() =>
    connection.close(),
  );
  if (added.length) say(`registered search attributes ${added.join(', ')}`);
  await registerNexusEndpoints(config);
}

/** Keel's Nexus endpoints, each targeting its task queue (docs/nexus.md); idempotent. */
async function registerNexusEndpoints(config: KeelConfig): Promise<void> {
  const { endpoints } = startNexusEndpoints(config);
  const connection = await createTemporalConnector(config.temporal).connect();
  try {
    for (const [name, tenant] of Object.entries(endpoints)) {
      const done = await ensureNexusEndpoint(connection, {
        name,
        targetNamespace: config.temporal.namespace,
        targetTaskQueue: config.taskQueue,
      });
      if (done !== 'unchanged') say(`Nexus endpoint ${name} ${done} (tenant ${tenant})`);
    }
  } catch (err) {
    say(`could not create the Nexus endpoints (${(err as Error).message}); see docs/nexus.md`);
  } finally {
    await connection.close();
  }
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
  const temporal = await temporalPart(config);
  if (!temporal) await registerSearchAttributes(config);

  // The API runs the worker in its own process by default (KEEL_EMBEDDED_WORKER): one
  // connection, eager starts. With KEEL_EMBEDDED_WORKER=false the worker is a process of its own.
  const { env, demo, inputKey, payloadKeyFile } = keelProcessEnv(
    config,
    process.env,
    {
      KEEL_EMBEDDED_WORKER: String(config.embeddedWorker),
      KEEL_NEXUS_ENDPOINTS: startNexusEndpoints(config).env,
      // The dev server's Web UI may call the codec server from the browser.
      ...(temporal && config.codecCorsOrigins.length === 0
        ? {
            KEEL_CODEC_CORS_ORIGINS: `http://127.0.0.1:${config.devServer.uiPort},http://localhost:${config.devServer.uiPort}`,
          }
        : {}),
    },
    { generatePayloadKeys: true },
  );
  if (inputKey.source === 'generated')
    say(
      `generated an input-key secret, kept in ${displayPath(path.join(config.dataDir, 'input-key-secret'))}`,
    );
  if (payloadKeyFile?.generated)
    say(`generated a payload encryption key, kept in ${displayPath(payloadKeyFile.file)}`);
  const api = apiUrl(config);

  // Start order Temporal → worker → API; Ctrl-C stops in reverse: the API first, then the worker
  // (draining in-flight tasks), then Temporal. A part that dies later is restarted with backoff.
  const parts: PartSpec[] = [];
  if (temporal) parts.push(temporal);
  if (!config.embeddedWorker) {
    parts.push({
      name: 'worker',
      label: 'the worker',
      stopGraceMs: config.shutdownGraceMs + 5_000,
      dependsOn: ['temporal'],
      start: (spawned) => {
        const child = spawnPart('worker/main.ts', env);
        spawned(child);
        return Promise.resolve(child);
      },
    });
  }
  parts.push({
    name: 'api',
    label: config.embeddedWorker ? 'the API (with its worker)' : 'the API',
    // With the worker inside, stopping the API drains its in-flight tasks too.
    stopGraceMs: config.embeddedWorker ? config.shutdownGraceMs + 10_000 : 10_000,
    dependsOn: ['temporal'],
    start: async (spawned) => {
      const child = spawnPart('server/main.ts', env);
      spawned(child);
      await waitForHttpOk(child, `${api}/readyz`, 120_000);
      return child;
    },
  });
  const supervisor = new Supervisor({ log: say, dataDir: config.dataDir });
  supervisor.installSignals();
  // If this process dies without stopping its parts (kill -9), the reaper stops them: the API and
  // worker stop by themselves (KEEL_PARENT_PID), the dev server would not.
  startReaper({
    supervisorPid: process.pid,
    stateFile: path.join(config.dataDir, SUPERVISOR_STATE_FILE),
    dataDir: config.dataDir,
    logFile: path.join(config.dataDir, 'reaper.log'),
  });
  await supervisor.startAll(parts);

  const ui = temporal ? `http://127.0.0.1:${config.devServer.uiPort}` : "(your cluster's Web UI)";
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
      '  Ctrl-C stops everything (twice: at once, without draining).',
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
