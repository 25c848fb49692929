import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/platform/logger';
import { WORKFLOW_TRACING_MODULE } from '../../shared/platform/tracing';
import { workflowBundle } from '../../worker/workflow-bundle';

/**
 * With tracing on, the worker bundles Keel's workflow tracing interceptors
 * (workflows/trace-context.ts) with the workflows. They import only the workflow SDK: no
 * `@opentelemetry/*` (the SDK package's own workflow interceptors would bring sdk-trace-base,
 * evaluated again for every workflow run), still no zod, task definitions or guards
 * (test/workflow/bundle.test.ts says why that matters).
 */
describe('the workflow bundle with tracing on', () => {
  it('holds the tracing interceptors and nothing of OpenTelemetry, zod or the tasks', async () => {
    const bundle = await workflowBundle({
      workflowsPath: path.resolve(__dirname, '../../workflows'),
      workflowInterceptorModules: [WORKFLOW_TRACING_MODULE],
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    const { code } = bundle as { code: string };
    expect(code).toMatch(/workflows[\\/]trace-context\.ts/);
    expect(code).toMatch(/workflows[\\/]run-task\.ts/);
    expect(code).not.toMatch(/node_modules[\\/]@opentelemetry[\\/]/);
    expect(code).not.toMatch(/node_modules[\\/]zod[\\/]/);
    expect(code).not.toMatch(/shared[\\/]tasks[\\/](?!task-definition)/);
    expect(code).not.toMatch(/shared[\\/]guards[\\/]/);
  }, 120_000);
});
