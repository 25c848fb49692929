import type { Logger } from '../shared/runtime/logger';
import { createCallModelActivity } from './call-model';
import { createPipelineActivities } from './pipeline-activities';
import { createLocalProvider } from './providers/local-provider';
import type { ModelProvider } from './providers/model-provider';

export interface ActivityDeps {
  logger: Logger;
  /** Defaults to the built-in `local` provider only. */
  providers?: ModelProvider[];
  now?: () => number;
}

/** All activities, wired to their dependencies. The worker passes real ones; tests pass their own. */
export function createActivities(deps: ActivityDeps) {
  const providers = new Map(
    (deps.providers ?? [createLocalProvider()]).map((p) => [p.slug, p] as const),
  );
  return {
    ...createPipelineActivities({
      logger: deps.logger,
      providers: new Set(providers.keys()),
      now: deps.now,
    }),
    ...createCallModelActivity({ providers }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { TaskPlan, ValidationResult } from './pipeline-activities';
export type { CallModelArgs, CallModelResult } from './call-model';
