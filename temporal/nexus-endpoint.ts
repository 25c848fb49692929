import type { Connection } from '@temporalio/client';
import type { KeelConfig } from '../shared/platform/config';
import { DEMO_TENANT_ID } from '../shared/tenancy/seed';

/** gRPC ALREADY_EXISTS: another process created the endpoint first. */
const ALREADY_EXISTS = 6;

/** The namespace `npm start`'s dev server also creates for workflows that call Keel over Nexus. */
export const CALLER_NAMESPACE = 'callers';

export interface NexusEndpointSpec {
  /** The endpoint's name, as callers write it (letters, digits and `-`, starting with a letter). */
  name: string;
  /** Keel's namespace and task queue: where the worker with Keel's Nexus service polls. */
  targetNamespace: string;
  targetTaskQueue: string;
}

/**
 * Creates the Nexus endpoint, or points an existing one of that name at the target: what
 * `temporal operator nexus endpoint create --name <name> --target-namespace <ns>
 * --target-task-queue <queue>` does, idempotent. Returns what it did.
 */
export async function ensureNexusEndpoint(
  connection: Connection,
  spec: NexusEndpointSpec,
): Promise<'created' | 'updated' | 'unchanged'> {
  const target = { worker: { namespace: spec.targetNamespace, taskQueue: spec.targetTaskQueue } };
  const { endpoints } = await connection.operatorService.listNexusEndpoints({ name: spec.name });
  const existing = endpoints?.find((e) => e.spec?.name === spec.name);
  if (!existing) {
    try {
      await connection.operatorService.createNexusEndpoint({ spec: { name: spec.name, target } });
      return 'created';
    } catch (err) {
      if ((err as { code?: number }).code === ALREADY_EXISTS) return 'unchanged';
      throw err;
    }
  }
  const worker = existing.spec?.target?.worker;
  if (worker?.namespace === spec.targetNamespace && worker.taskQueue === spec.targetTaskQueue)
    return 'unchanged';
  await connection.operatorService.updateNexusEndpoint({
    id: existing.id,
    version: existing.version,
    spec: { ...existing.spec, name: spec.name, target },
  });
  return 'updated';
}

/**
 * The endpoints `npm start` serves: KEEL_NEXUS_ENDPOINTS when set, else `keel` for the demo
 * tenant when it is on. With `env`, the same as the variable for the processes it starts.
 */
export function startNexusEndpoints(config: KeelConfig): {
  endpoints: Readonly<Record<string, string>>;
  env: string;
} {
  const endpoints =
    Object.keys(config.nexusEndpoints).length > 0
      ? config.nexusEndpoints
      : config.demoTenant
        ? { keel: DEMO_TENANT_ID }
        : {};
  const env = Object.entries(endpoints)
    .map(([name, tenant]) => `${name}=${tenant}`)
    .join(',');
  return { endpoints, env };
}
