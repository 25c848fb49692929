import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';

/**
 * Every module a workflow imports is evaluated again for each workflow run (the SDK gives each
 * run its own module cache), so what the bundle holds is paid per task. zod alone doubled the
 * workflow thread's CPU per task (24 → 12.7 ms measured with `node --cpu-prof`, see bench/).
 */
describe('the workflow bundle', () => {
  const code = readFileSync(inject('workflowBundlePath'), 'utf8');

  it('holds the workflow code', () => {
    expect(code).toMatch(/workflows[\\/]run-task\.ts/);
    expect(code).toMatch(/shared[\\/]contracts[\\/]review-messages\.ts/);
  });

  it('does not pull in zod or the task definitions', () => {
    expect(code).not.toMatch(/node_modules[\\/]zod[\\/]/);
    expect(code).not.toMatch(/shared[\\/]tasks[\\/](?!task-definition)/);
    expect(code).not.toMatch(/shared[\\/]guards[\\/]/);
  });
});
