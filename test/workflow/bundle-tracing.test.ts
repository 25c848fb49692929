import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_TRACING_MODULE } from '../../shared/platform/tracing';
import { workflowBundle } from '../../worker/workflow-bundle';
import { createLogger } from '../../shared/platform/logger';

/**
 * With tracing on, the worker bundles OpenTelemetry's workflow interceptors with the workflows
 * (worker/keel-worker.ts passes the connector's workflow modules). They bring only
 * `@opentelemetry/*` and the SDK's own code: still no zod, no task definitions, no guards
 * (test/workflow/bundle.test.ts says why that matters).
 */
describe('the workflow bundle with tracing on', () => {
  it('holds the tracing interceptors and still no zod or task definitions', async () => {
    const { code } = await workflowBundle({
      workflowsPath: path.resolve(__dirname, '../../workflows'),
      workflowInterceptorModules: [WORKFLOW_TRACING_MODULE],
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    expect(code).toMatch(/interceptors-opentelemetry[\\/]lib[\\/]workflow-interceptors\.js/);
    expect(code).toMatch(/workflows[\\/]run-task\.ts/);
    expect(code).not.toMatch(/node_modules[\\/]zod[\\/]/);
    expect(code).not.toMatch(/shared[\\/]tasks[\\/](?!task-definition)/);
    expect(code).not.toMatch(/shared[\\/]guards[\\/]/);
  }, 120_000);
});
