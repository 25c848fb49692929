import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SearchAttr } from '../../shared/contracts/messages';

/** The visibility query of every workflow tagged with the tenant (`KeelTenant`). */
export const tenantWorkflowsQuery = (tenantId: string): string =>
  `${SearchAttr.tenant.name} = '${tenantId.replaceAll("'", '')}'`;

/** One workflow run, as visibility lists it. */
export interface WorkflowRun {
  workflowId: string;
  runId: string;
}

/** Terminates a running workflow; one that has ended or is gone already is left as it is. */
export async function terminateRun(client: Client, wf: WorkflowRun, reason: string): Promise<void> {
  await client.workflow
    .getHandle(wf.workflowId, wf.runId)
    .terminate(reason)
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
}

/**
 * Deletes a workflow run from Temporal, history and all (asynchronously: visibility may list it
 * for a while). False when it was gone already (an earlier attempt deleted it): nothing to count.
 */
export async function deleteRun(
  client: Client,
  namespace: string,
  wf: WorkflowRun,
): Promise<boolean> {
  try {
    await client.workflowService.deleteWorkflowExecution({
      namespace,
      workflowExecution: { workflowId: wf.workflowId, runId: wf.runId },
    });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 5) return false; // NOT_FOUND
    throw err;
  }
}
