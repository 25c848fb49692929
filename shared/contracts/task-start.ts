import type { SearchAttributePair } from '@temporalio/common';
import type { JobStatus, RunTaskRequest } from './job';
import { SearchAttr } from './messages';

const RUNNING: JobStatus = 'running';

/**
 * The search attributes a task's workflow starts with, however it is started (the API, a Nexus
 * operation): its tenant, its task and `running`. Ids only: search attributes are not encrypted.
 */
export function taskSearchAttributes(
  request: Pick<RunTaskRequest, 'tenantId' | 'task'>,
): SearchAttributePair[] {
  return [
    { key: SearchAttr.tenant, value: request.tenantId },
    { key: SearchAttr.task, value: request.task },
    { key: SearchAttr.status, value: RUNNING },
  ];
}
