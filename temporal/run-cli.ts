import { spawn } from 'node:child_process';
import { ConfigError, loadConfig } from '../shared/platform/config';
import { findTemporalCli, TemporalCliNotFoundError } from './cli';

/**
 * `npm run temporal -- <args>`: the discovered CLI, pointed at Keel's Temporal
 * (`npm run temporal -- workflow list`). `--install-only` just finds or installs it.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const args = process.argv.slice(2);
  const cli = await findTemporalCli({
    dataDir: config.dataDir,
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    install: true,
    log: (line) => console.error(`[keel] ${line}`),
  });
  if (args[0] === '--install-only') {
    console.log(`temporal CLI: ${cli.path} (${cli.source}; ${cli.version})`);
    return 0;
  }
  const child = spawn(cli.path, args, {
    stdio: 'inherit',
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
    },
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof TemporalCliNotFoundError || err instanceof ConfigError)
      console.error(err.message);
    else console.error(err);
    process.exit(1);
  },
);
