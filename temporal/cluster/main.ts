import path from 'node:path';
import { ConfigError, loadConfig } from '../../shared/platform/config';
import { assertSupportedNode } from '../../shared/platform/node-version';
import { startCluster } from './cluster';
import { ensureClusterBinaries, GoNotFoundError } from './install';
import { findPostgresBinDir, PostgresNotFoundError } from './postgres';

/**
 * `npm run cluster`: the production topology on one machine — PostgreSQL, Temporal's own server
 * on it, two Keel workers and two Keel APIs as separate processes, supervised (restarted with
 * backoff when they die). `npm run cluster:install` (`--install-only`) only builds the binaries.
 */
const ROOT = path.resolve(__dirname, '../..');
const say = (line: string): void => console.log(`[cluster] ${line}`);
const shown = (file: string): string =>
  file.startsWith(ROOT + path.sep) ? path.relative(ROOT, file) : file;

async function installOnly(): Promise<void> {
  const config = loadConfig(process.env);
  const binaries = await ensureClusterBinaries({ dataDir: config.dataDir, log: say });
  say(`temporal server: ${shown(binaries.server)}`);
  say(`schema tool:     ${shown(binaries.sqlTool)}`);
  say(`PostgreSQL:      ${findPostgresBinDir(process.env.KEEL_PG_BIN_DIR)}`);
}

async function main(): Promise<void> {
  assertSupportedNode();
  if (process.argv.includes('--install-only')) return installOnly();
  const cluster = await startCluster({ log: say, installSignals: true });
  const bearer =
    cluster.apiKeySource === 'env' ? '$KEEL_DEMO_API_KEY' : (cluster.apiKey ?? '<an API key>');
  const [first] = cluster.apiUrls;
  console.log(
    [
      '',
      '  The Keel cluster is running.',
      ...cluster.apiUrls.map((url, i) => `    API ${i + 1}        ${url}   (docs: ${url}/docs)`),
      `    Temporal     ${cluster.temporalAddress} (namespace ${cluster.namespace}; no Web UI: \`TEMPORAL_ADDRESS=${cluster.temporalAddress} npm run temporal -- workflow list\`)`,
      `    PostgreSQL   127.0.0.1:${cluster.postgres.port} (data in ${shown(cluster.postgres.dataDir)})`,
      `    Workers      2 processes on task queue ${cluster.taskQueue}`,
      `    Logs         ${shown(path.join(cluster.clusterDir, 'logs'))}/<part>.log; pids in ${shown(cluster.stateFile)}`,
      cluster.apiKeySource === 'env'
        ? '    Demo API key from KEEL_DEMO_API_KEY (not printed)'
        : cluster.apiKey
          ? `    Demo API key ${cluster.apiKey}`
          : '    Demo tenant  off (KEEL_DEMO_TENANT=false)',
      '',
      '  Try:',
      `    curl -s -H "Authorization: Bearer ${bearer}" -H 'content-type: application/json' \\`,
      `      -d '{"input":{"subject":"Refund","body":"I was charged twice for my subscription"}}' \\`,
      `      ${first}/v1/tasks/classify-ticket`,
      '',
      '  Ctrl-C stops everything (APIs, workers draining, Temporal, PostgreSQL).',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  if (
    err instanceof ConfigError ||
    err instanceof GoNotFoundError ||
    err instanceof PostgresNotFoundError
  )
    console.error(err.message);
  else console.error(err);
  process.exit(1);
});
