import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../shared/contracts/errors';
import type { RunTaskRequest } from '../../shared/contracts/job';
import type { AnyTaskDefinition } from '../../shared/tasks';
import type { PromptVersion, TenantStore } from '../../shared/tenancy/store';

/**
 * The job's prompt (docs/prompt-registry.md): the registry's rollout for its tenant (and key), or
 * the task's built-in prompt when no rollout exists, the task has none (a conversation) or there
 * is no tenant store. A registry version's text comes along for the token estimate.
 */
export async function choosePrompt(
  store: TenantStore | undefined,
  task: AnyTaskDefinition,
  request: RunTaskRequest,
): Promise<{ id: string; version?: PromptVersion }> {
  const builtIn = task.prompt.version;
  if (!store || task.conversation) return { id: builtIn };
  const id = await store.prompts.resolve({
    task: task.name,
    builtIn,
    tenantId: request.tenantId,
    keyId: request.tenancy?.keyId,
  });
  if (id === builtIn) return { id };
  const version = await store.prompts.version(id);
  if (!version)
    throw ApplicationFailure.nonRetryable(
      `prompt version ${id} of ${task.name} is not in the registry`,
      FailureType.UnknownTask,
    );
  return { id, version };
}
