import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Temporal's own server and its SQL schema tool, built from the Go module proxy at a pinned
 * version into `<dataDir>/bin/temporal-server-v<version>/` (`server`, `sql`). The schema itself is
 * embedded in the `sql` tool (`--schema-name postgresql/v12/...`), so it always matches the server.
 */
export const TEMPORAL_SERVER_VERSION = '1.32.2';
/** v1.32 needs a newer Go than many machines have; `go` fetches this toolchain from the proxy. */
export const GO_TOOLCHAIN = 'go1.27.3';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
}

export class GoNotFoundError extends Error {
  override readonly name = 'GoNotFoundError';
  constructor(tried: string[]) {
    super(
      [
        `Temporal's server v${TEMPORAL_SERVER_VERSION} is not built yet, and building it needs Go. Tried:`,
        ...tried.map((t, i) => `  ${i + 1}. ${t}`),
        'Install Go 1.21 or newer (https://go.dev/dl or `apt-get install golang`); the',
        `${GO_TOOLCHAIN} toolchain and the server's modules then come from the Go module proxy.`,
      ].join('\n'),
    );
  }
}

/** Whether `file` exists and may be run (a built binary, a found tool). */
export const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export function binariesDir(dataDir: string): string {
  return path.join(dataDir, 'bin', `temporal-server-v${TEMPORAL_SERVER_VERSION}`);
}

function installed(dataDir: string): ClusterBinaries | undefined {
  const dir = binariesDir(dataDir);
  const found = { server: path.join(dir, 'server'), sqlTool: path.join(dir, 'sql') };
  return isExecutable(found.server) && isExecutable(found.sqlTool) ? found : undefined;
}

/** `go` on PATH, then the tarball's usual place. */
export function findGo(searchPath = process.env.PATH): string {
  const tried: string[] = [];
  for (const dir of (searchPath ?? '').split(path.delimiter).filter(Boolean)) {
    if (isExecutable(path.join(dir, 'go'))) return path.join(dir, 'go');
  }
  tried.push('PATH: no `go` executable');
  for (const file of ['/usr/local/go/bin/go', '/usr/lib/go/bin/go']) {
    if (isExecutable(file)) return file;
    tried.push(`${file}: not there`);
  }
  throw new GoNotFoundError(tried);
}

async function goInstall(
  go: string,
  pkg: string,
  gobin: string,
  log: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  log(
    `building ${pkg}@v${TEMPORAL_SERVER_VERSION} (Go ${GO_TOOLCHAIN}; a few minutes the first time)`,
  );
  const child = spawn(go, ['install', `${pkg}@v${TEMPORAL_SERVER_VERSION}`], {
    env: { ...process.env, GOBIN: gobin, GOTOOLCHAIN: GO_TOOLCHAIN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c: Buffer): void => void (output = (output + c.toString()).slice(-4_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const ticker = setInterval(
    () =>
      log(
        `  still building ${path.basename(pkg)} (${Math.round((Date.now() - started) / 1000)} s)`,
      ),
    30_000,
  );
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      output += err.message;
      resolve(-1);
    });
    child.on('exit', resolve);
  }).finally(() => clearInterval(ticker));
  if (code !== 0) {
    throw new Error(
      `go install ${pkg}@v${TEMPORAL_SERVER_VERSION} failed (${code}); is the Go module proxy ` +
        `reachable (GOPROXY=${spawnSync(go, ['env', 'GOPROXY'], { encoding: 'utf8' }).stdout.trim()})?\n` +
        output.trim(),
    );
  }
  log(`  built in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** The server and the schema tool: already built under `<dataDir>/bin`, or built now. */
export async function ensureClusterBinaries(options: {
  dataDir: string;
  log?: (line: string) => void;
}): Promise<ClusterBinaries> {
  const log = options.log ?? (() => undefined);
  const found = installed(options.dataDir);
  if (found) return found;
  const go = findGo();
  const gobin = binariesDir(options.dataDir);
  mkdirSync(gobin, { recursive: true });
  if (!existsSync(path.join(gobin, 'server')))
    await goInstall(go, 'go.temporal.io/server/cmd/server', gobin, log);
  if (!existsSync(path.join(gobin, 'sql')))
    await goInstall(go, 'go.temporal.io/server/cmd/tools/sql', gobin, log);
  const built = installed(options.dataDir);
  if (!built) throw new Error(`go install left no server/sql binaries in ${gobin}`);
  return built;
}
