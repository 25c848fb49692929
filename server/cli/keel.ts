import { version } from '../../package.json';
import { runCli } from './main';

/**
 * The process around the CLI: its streams, the directory relative paths are read from, and the
 * exit code. `npm run keel` runs in the package root and keeps the caller's directory in
 * INIT_CWD; any other start (the bin on PATH, a child of another npm script) means what cwd says.
 */
const cwd =
  process.env.npm_lifecycle_event === 'keel' && process.env.INIT_CWD
    ? process.env.INIT_CWD
    : process.cwd();

void runCli(
  process.argv,
  {
    out: process.stdout,
    err: process.stderr,
    errIsTty: process.stderr.isTTY === true,
    cwd,
  },
  version,
).then((code) => {
  process.exitCode = code;
});
