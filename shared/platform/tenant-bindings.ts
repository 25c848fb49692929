import type { WorkflowClientInterceptor, WorkflowService } from '@temporalio/client';
import {
  defaultPayloadConverter,
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadCodec,
  type SearchAttributePair,
  type SerializationContext,
  type TypedSearchAttributes,
} from '@temporalio/common';
import { SearchAttr } from '../contracts/messages';
import { NEXUS_RUNNER_PREFIX } from '../contracts/nexus';

/**
 * Which tenant a workflow's payloads belong to, as this process has learnt it
 * (docs/encryption.md#which-tenant-a-payload-belongs-to). Keel's workflow ids carry no tenant
 * (`<task>-<uuid>`, part of the API), and the codec sees only a payload and the SDK's
 * serialization context (the workflow id), so each process keeps workflow id → tenant:
 *
 * - a start through a Keel client binds the id to its `KeelTenant` search attribute, or to no
 *   tenant when it has none (breakers, review queues, erasure: the deployment key);
 * - decoding a payload under a tenant's key binds the workflow it belongs to (a worker learns a
 *   job's tenant from its input, an activity worker from the activity's input, the API from the
 *   memo it describes before any signal or update);
 * - a first contact with neither (a child workflow started by a workflow) reads the tenant from
 *   its start input, a task request (`task`, `tenantId`, `requestId`); never from an activity's
 *   input (an erasure's names the tenant it erases, and is no tenant's).
 *
 * A Nexus operation's runner (`nexusRunnerId`) is no tenant's: its result goes to the caller.
 *
 * Bounded (least recently used first out); an evicted id is learnt again the same ways, and when
 * an encode meets a workflow none of them covers (a cached workflow woken by a timer after its
 * binding was evicted), from Temporal: `lookup` reads the workflow's `KeelTenant` search
 * attribute (`temporalTenantLookup`), once per workflow, concurrent asks sharing one call.
 */
export class TenantBindings {
  private readonly byWorkflow = new Map<string, string | null>();
  private readonly asking = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly max = 100_000,
    private lookup?: TenantLookup,
  ) {}

  /**
   * Where a workflow no binding covers is looked up, once the process has a connection (the first
   * one given is kept); the function returned detaches it, for a connection about to close.
   */
  lookUpWith(lookup: TenantLookup): () => void {
    this.lookup ??= lookup;
    return () => {
      if (this.lookup === lookup) this.lookup = undefined;
    };
  }

  /** The tenant of a workflow (`null`: none, the deployment key); undefined if not known. */
  get(workflowId: string): string | null | undefined {
    const tenant = this.byWorkflow.get(workflowId);
    if (tenant !== undefined) {
      // Touched: the workflows in use stay.
      this.byWorkflow.delete(workflowId);
      this.byWorkflow.set(workflowId, tenant);
    }
    return tenant;
  }

  /** A tenant binding is never replaced by `null` (no tenant). */
  bind(workflowId: string, tenant: string | null): void {
    const known = this.byWorkflow.get(workflowId);
    if (known === tenant || (tenant === null && known)) return;
    this.byWorkflow.delete(workflowId);
    this.byWorkflow.set(workflowId, tenant);
    if (this.byWorkflow.size > this.max) {
      const oldest = this.byWorkflow.keys().next().value;
      if (oldest !== undefined) this.byWorkflow.delete(oldest);
    }
  }

  /**
   * The tenant whose key encrypts `payloads` in `context`: the binding, else (first contact) the
   * tenant the payloads name, which is then bound. Undefined: the deployment key.
   */
  tenantFor(context: SerializationContext | undefined, payloads: Payload[]): string | undefined {
    const workflowId = context?.workflowId;
    if (!workflowId || workflowId.startsWith(NEXUS_RUNNER_PREFIX)) return undefined;
    const known = this.get(workflowId);
    if (known !== undefined) return known ?? undefined;
    // Only a task's start input names its workflow's tenant: an activity's input naming one (an
    // erasure's, a retention run's) belongs to a workflow that is no tenant's.
    if (context?.type !== 'workflow') return undefined;
    const named = payloads.map(tenantOfTaskStart).find((t) => t !== undefined);
    if (named) this.bind(workflowId, named);
    return named;
  }

  /**
   * `tenantFor`, and when nothing in this process covers the workflow, Temporal's answer (bound
   * from then on; a workflow Temporal does not know, or a failed call, is the deployment key and
   * is asked again next time). Synchronous unless it has to ask.
   */
  resolve(
    context: SerializationContext | undefined,
    payloads: Payload[],
  ): string | undefined | Promise<string | undefined> {
    const workflowId = context?.workflowId;
    const found = this.tenantFor(context, payloads);
    if (found !== undefined || !workflowId || !this.lookup) return found;
    if (this.byWorkflow.has(workflowId) || workflowId.startsWith(NEXUS_RUNNER_PREFIX)) return found;
    let pending = this.asking.get(workflowId);
    if (!pending) {
      pending = this.lookup(workflowId)
        .then((tenant) => {
          if (tenant !== undefined) this.bind(workflowId, tenant);
          return tenant ?? undefined;
        })
        .catch(() => undefined)
        .finally(() => this.asking.delete(workflowId));
      this.asking.set(workflowId, pending);
    }
    return pending;
  }

  /**
   * A codec that changes nothing and learns whose workflows are whose from the payloads in clear:
   * first in the chain, it sees what is encoded before anything else, and what is decoded last.
   * The claim check uses it to file each blob under its tenant (docs/claim-check.md), whether or
   * not tenant data keys are on.
   */
  learningCodec(): PayloadCodec {
    const learn = (payloads: Payload[], context?: SerializationContext): Promise<Payload[]> => {
      this.tenantFor(context, payloads);
      return Promise.resolve(payloads);
    };
    return { encode: learn, decode: learn };
  }

  /** A client interceptor that binds every workflow this process starts. */
  clientInterceptor(): WorkflowClientInterceptor {
    const bindStart = (options: {
      workflowId: string;
      typedSearchAttributes?: TypedSearchAttributes | SearchAttributePair[];
    }): void => this.bind(options.workflowId, tenantAttribute(options.typedSearchAttributes));
    return {
      start: (input, next) => {
        bindStart(input.options);
        return next(input);
      },
      signalWithStart: (input, next) => {
        bindStart(input.options);
        return next(input);
      },
      startUpdateWithStart: (input, next) => {
        bindStart(input.workflowStartOptions);
        return next(input);
      },
    };
  }
}

/**
 * The tenant of a workflow as Temporal knows it: its `KeelTenant` search attribute, `null` when it
 * has none (breakers, review queues: the deployment key), undefined when the workflow is unknown.
 */
export type TenantLookup = (workflowId: string) => Promise<string | null | undefined>;

/** A `TenantLookup` through a connection's workflow service (search attributes are never encoded). */
export function temporalTenantLookup(
  service: () => Pick<WorkflowService, 'describeWorkflowExecution'>,
  namespace: string,
): TenantLookup {
  return async (workflowId) => {
    try {
      const { workflowExecutionInfo } = await service().describeWorkflowExecution({
        namespace,
        execution: { workflowId },
      });
      const field =
        workflowExecutionInfo?.searchAttributes?.indexedFields?.[SearchAttr.tenant.name];
      const value: unknown = field ? defaultPayloadConverter.fromPayload(field) : null;
      return typeof value === 'string' && value ? value : null;
    } catch (err) {
      if ((err as { code?: number }).code === GRPC_NOT_FOUND) return undefined;
      throw err;
    }
  };
}

const GRPC_NOT_FOUND = 5;

function tenantAttribute(
  attrs: TypedSearchAttributes | SearchAttributePair[] | undefined,
): string | null {
  if (!attrs) return null;
  const value = Array.isArray(attrs)
    ? attrs.find((p) => p.key.name === SearchAttr.tenant.name)?.value
    : attrs.get(SearchAttr.tenant);
  return typeof value === 'string' && value ? value : null;
}

const JSON_PLAIN = 'json/plain';
const TENANT_FIELD = Buffer.from('"tenantId"');

/**
 * The `tenantId` of a task's start input (`RunTaskRequest`: `task`, `tenantId`, `requestId`), the
 * contract of every workflow a workflow starts for a tenant (batch items, a long document's
 * chunks, the job under a Nexus operation); read only when the JSON bytes name a tenant.
 */
function tenantOfTaskStart(payload: Payload): string | undefined {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  if (!encoding || Buffer.from(encoding).toString() !== JSON_PLAIN || !payload.data) return;
  const data = Buffer.from(payload.data.buffer, payload.data.byteOffset, payload.data.byteLength);
  if (data.indexOf(TENANT_FIELD) < 0) return undefined;
  try {
    const value = JSON.parse(data.toString('utf8')) as {
      task?: unknown;
      tenantId?: unknown;
      requestId?: unknown;
    } | null;
    const tenant = value?.tenantId;
    const isTaskStart = typeof value?.task === 'string' && typeof value.requestId === 'string';
    return isTaskStart && typeof tenant === 'string' && tenant ? tenant : undefined;
  } catch {
    return undefined;
  }
}
