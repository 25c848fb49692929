import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from '../shared/platform/logger';

/**
 * The workflow bundle, built once per version of the code and kept under `<dataDir>/cache/`.
 * Bundling (webpack over workflows/ and what they import) is 2–3 s of a worker's 6–7 s start on
 * this machine; a restarted worker — after a crash, under `npm start`'s supervisor — takes the
 * cached bundle instead. The key is a hash of every source file a workflow can import
 * (workflows/, shared/, activities/), the lockfile and the interceptor modules: any change
 * rebuilds.
 */
const ROOT = path.resolve(__dirname, '..');
const SOURCES = ['workflows', 'shared', 'activities'];
const KEEP = 3;
/** Bump when the bundle options below change. */
const FORMAT = 1;

export interface BundleOptions {
  workflowsPath: string;
  /** `<dataDir>/cache`; omit to bundle in memory every time. */
  cacheDir?: string;
  workflowInterceptorModules?: string[];
  /** The data converter's `failureConverterPath` (the encrypting codec's), bundled in. */
  failureConverterPath?: string;
  logger: Logger;
}

export async function workflowBundle(
  options: BundleOptions,
): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  const build = async () =>
    bundleWorkflowCode({
      workflowsPath: options.workflowsPath,
      workflowInterceptorModules: options.workflowInterceptorModules,
      failureConverterPath: options.failureConverterPath,
      logger: quiet,
    });
  if (!options.cacheDir) return build();
  const key = bundleKey([
    ...(options.workflowInterceptorModules ?? []),
    ...(options.failureConverterPath ? [`failure-converter ${options.failureConverterPath}`] : []),
  ]);
  const file = path.join(options.cacheDir, `workflow-bundle-${key}.js`);
  try {
    const code = readFileSync(file, 'utf8');
    options.logger.debug({ file }, 'workflow bundle from cache');
    return { code };
  } catch {
    // not built yet for this version of the code
  }
  const started = Date.now();
  const bundle = await build();
  try {
    mkdirSync(options.cacheDir, { recursive: true });
    writeFileSync(`${file}.${process.pid}.tmp`, bundle.code);
    renameSync(`${file}.${process.pid}.tmp`, file);
    prune(options.cacheDir, path.basename(file));
  } catch (err) {
    options.logger.warn(
      { err, file },
      'could not keep the workflow bundle; the next start bundles again',
    );
  }
  options.logger.info({ ms: Date.now() - started, file }, 'workflow code bundled');
  return bundle;
}

/** sha256 over the sources a bundle is made of; the first 16 hex digits name the file. */
export function bundleKey(interceptorModules: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(`format ${FORMAT}\n${interceptorModules.join('\n')}\n`);
  for (const file of [
    ...SOURCES.flatMap((dir) => sourceFiles(path.join(ROOT, dir))),
    path.join(ROOT, 'package-lock.json'),
  ]) {
    hash.update(`${path.relative(ROOT, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js|json)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function prune(dir: string, keep: string): void {
  const old = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.startsWith('workflow-bundle-') && e.name !== keep)
    .map((e) => path.join(dir, e.name));
  // Oldest first by name is not age; sort by mtime would need a stat each: few files, fine.
  for (const file of old.slice(0, Math.max(0, old.length - (KEEP - 1))))
    rmSync(file, { force: true });
}

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
