import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, inject, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Every module a workflow imports is evaluated again for each workflow run (the SDK gives each
 * run its own module cache), so what the bundle holds is paid per task. zod alone doubled the
 * workflow thread's CPU per task (24 → 12.7 ms measured with `node --cpu-prof`, see bench/).
 */
describe('the workflow bundle', () => {
  const code = readFileSync(inject('workflowBundlePath'), 'utf8');

  it('holds the workflow code', () => {
    expect(code).toMatch(/workflows[\\/]run-task\.ts/);
    expect(code).toMatch(/shared[\\/]contracts[\\/]messages\.ts/);
  });

  it('does not pull in zod or the task definitions', () => {
    expect(code).not.toMatch(/node_modules[\\/]zod[\\/]/);
    expect(code).not.toMatch(/shared[\\/]tasks[\\/](?!task-definition)/);
    expect(code).not.toMatch(/shared[\\/]guards[\\/]/);
  });

  it('is exactly what the workflow-safety lint covers', async () => {
    const bundled = [...code.matchAll(/"\.\/((?:workflows|shared)\/[\w./-]+\.ts)"/g)].map(
      (m) => m[1]!,
    );
    expect(bundled).toContain('workflows/run-task.ts');
    expect(bundled).toContain('shared/contracts/messages.ts');

    const eslint = new ESLint({ cwd: ROOT });
    const sources = ['workflows', 'shared'].flatMap((dir) =>
      readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `${dir}/${f.split(path.sep).join('/')}`),
    );
    const linted: string[] = [];
    for (const file of sources) {
      const config = (await eslint.calculateConfigForFile(file)) as {
        rules?: Record<string, unknown[]>;
      };
      if (config.rules?.['@typescript-eslint/no-restricted-imports']?.[0] === 2) linted.push(file);
    }
    // Bundled only with tracing on (test/workflow/bundle-tracing.test.ts checks that bundle).
    const tracingOnly = ['workflows/trace-context.ts'];
    expect(linted.sort()).toEqual([...new Set([...bundled, ...tracingOnly])].sort());
  });
});
