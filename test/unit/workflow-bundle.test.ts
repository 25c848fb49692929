import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/platform/logger';
import { WORKFLOWS_PATH } from '../../worker/keel-worker';
import { bundleKey, workflowBundle } from '../../worker/workflow-bundle';

const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'keel-bundle-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('the workflow bundle cache', () => {
  it('bundles once per version of the code; a restart takes the kept bundle', async () => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    // An older version's bundle: pruned once more than three are kept.
    for (const old of ['0000000000000001', '0000000000000002', '0000000000000003'])
      writeFileSync(path.join(cacheDir, `workflow-bundle-${old}.js`), '// old');
    const first = await workflowBundle({ workflowsPath: WORKFLOWS_PATH, cacheDir, logger });
    const file = `workflow-bundle-${bundleKey([])}.js`;
    const kept = readdirSync(cacheDir).filter((f) => f.startsWith('workflow-bundle-'));
    expect(kept).toContain(file);
    expect(kept).toHaveLength(3);
    expect('code' in first && first.code).toContain('runTask');

    // The next start reads the file instead of bundling: same bytes.
    writeFileSync(path.join(cacheDir, file), `${(first as { code: string }).code}\n// kept`);
    const second = await workflowBundle({ workflowsPath: WORKFLOWS_PATH, cacheDir, logger });
    expect((second as { code: string }).code.endsWith('// kept')).toBe(true);
  }, 60_000);

  it('the key changes with the interceptor modules (and, by construction, with any source file)', () => {
    expect(bundleKey([])).toMatch(/^[0-9a-f]{16}$/);
    expect(bundleKey(['/x/otel-interceptors'])).not.toBe(bundleKey([]));
    expect(bundleKey([])).toBe(bundleKey([]));
  });
});
