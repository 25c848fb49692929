import {
  CreatedKeyBody,
  CreateKeyBody,
  CreateTenantBody,
  DataKeyRotationBody,
  EraseTenantBody,
  ErasureBody,
  KeyBody,
  KeyListBody,
  PlanBody,
  PlanListBody,
  RotateKeyBody,
  TenantBody,
  TenantListBody,
  UpdateTenantBody,
  UsageBody,
} from '../shared/contracts/admin';
import {
  AUDIT_ACTIONS,
  AuditPageBody,
  AuditVerificationBody,
  MAX_AUDIT_PAGE,
} from '../shared/contracts/audit';
import { DashboardBody } from '../shared/contracts/dashboard';
import { TenancyId } from '../shared/tenancy/plans';
import { MAX_TENANTS_PER_PAGE } from './admin.service';
import { json, problems, requestBody, schema, type Json } from './openapi-parts';
import { promptPaths } from './openapi-prompts';
import { INSTANT_SCHEMA } from '../shared/contracts/instant';

/** A tenant or plan id, as a parameter's schema. */
const { $schema: _dialect, ...TENANCY_ID } = schema(TenancyId);
const GROUP = '\\s*(tenant|task|model|day|key)\\s*';
/** What `groupBy` takes: up to five groups, comma-separated, or nothing. */
const USAGE_GROUP_BY = `^(${GROUP}(,${GROUP}){0,4})?$`;

/** The admin API (tenants, keys, plans) and the usage report, as OpenAPI paths. */
export function adminPaths(): Json {
  const paths: Json = {};
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const keyIdParam = { name: 'keyId', in: 'path', required: true, schema: { type: 'string' } };
  paths['/v1/admin/tenants'] = {
    post: {
      summary: 'Create a tenant on a plan (operator).',
      tags: ['admin'],
      requestBody: requestBody(CreateTenantBody),
      responses: {
        201: json('Created.', schema(TenantBody)),
        ...problems('POST /v1/admin/tenants'),
      },
    },
    get: {
      summary: 'Tenants by id, a page at a time (operator: all; a tenant admin: its own).',
      tags: ['admin'],
      parameters: [
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: MAX_TENANTS_PER_PAGE, default: 100 },
        },
        { name: 'after', in: 'query', schema: { type: 'string' } },
      ],
      responses: {
        200: json('A page; `next` is the `after` of the next one.', schema(TenantListBody)),
        ...problems('GET /v1/admin/tenants'),
      },
    },
  };
  paths['/v1/admin/tenants/{id}'] = {
    get: {
      summary: 'One tenant (another tenant’s is not found).',
      tags: ['admin'],
      parameters: [idParam],
      responses: {
        200: json('The tenant.', schema(TenantBody)),
        ...problems('GET /v1/admin/tenants/{id}'),
      },
    },
    patch: {
      summary:
        'Rename, change plan, suspend or reactivate, set overrides (plan, status, limits and budget: operator only).',
      tags: ['admin'],
      parameters: [idParam],
      requestBody: requestBody(UpdateTenantBody),
      responses: {
        200: json('The tenant as changed.', schema(TenantBody)),
        ...problems('PATCH /v1/admin/tenants/{id}'),
      },
    },
  };
  paths['/v1/admin/tenants/{id}/erase'] = {
    post: {
      summary:
        'Erase a suspended tenant (operator): its jobs deleted from Temporal, its rows from the tenant store; the audit trail keeps the record.',
      tags: ['admin'],
      parameters: [idParam],
      requestBody: requestBody(EraseTenantBody),
      responses: {
        202: json('The erasure started (or was running already).', schema(ErasureBody)),
        ...problems('POST /v1/admin/tenants/{id}/erase'),
      },
    },
  };
  paths['/v1/admin/tenants/{id}/erasure'] = {
    get: {
      summary: 'The tenant’s erasure: running, completed with its counts, or failed (operator).',
      tags: ['admin'],
      parameters: [idParam],
      responses: {
        200: json('The erasure.', schema(ErasureBody)),
        ...problems('GET /v1/admin/tenants/{id}/erasure'),
      },
    },
  };
  paths['/v1/admin/tenants/{id}/data-keys/rotate'] = {
    post: {
      summary:
        'A new data key for the tenant’s payloads (per-tenant data keys on): it encrypts from now on, within 60 s in every process; older keys still decrypt; erasure shreds them all.',
      tags: ['admin'],
      parameters: [idParam],
      responses: {
        201: json(
          'The new key’s reference and version (never the key).',
          schema(DataKeyRotationBody),
        ),
        ...problems('POST /v1/admin/tenants/{id}/data-keys/rotate'),
      },
    },
  };
  paths['/v1/admin/tenants/{id}/keys'] = {
    post: {
      summary: 'Create an API key; the response carries `key` this once.',
      tags: ['admin'],
      parameters: [idParam],
      requestBody: requestBody(CreateKeyBody),
      responses: {
        201: json('Created.', schema(CreatedKeyBody)),
        ...problems('POST /v1/admin/tenants/{id}/keys'),
      },
    },
    get: {
      summary: 'The tenant’s keys (never the keys themselves).',
      tags: ['admin'],
      parameters: [idParam],
      responses: {
        200: json('The keys.', schema(KeyListBody)),
        ...problems('GET /v1/admin/tenants/{id}/keys'),
      },
    },
  };
  paths['/v1/admin/tenants/{id}/keys/{keyId}/rotate'] = {
    post: {
      summary:
        'A successor key with the same name and roles; the old one works until `overlapSeconds` pass.',
      tags: ['admin'],
      parameters: [idParam, keyIdParam],
      // Optional: without a body the old key keeps working for the default overlap.
      requestBody: { ...requestBody(RotateKeyBody), required: false },
      responses: {
        201: json(
          'The new key (with `key`, once) and the old one as it now expires (`replaces`).',
          schema(CreatedKeyBody.extend({ replaces: KeyBody })),
        ),
        ...problems('POST /v1/admin/tenants/{id}/keys/{keyId}/rotate'),
      },
    },
  };
  paths['/v1/admin/tenants/{id}/keys/{keyId}'] = {
    delete: {
      summary: 'Revoke a key: refused by every API process within 1 s.',
      tags: ['admin'],
      parameters: [idParam, keyIdParam],
      responses: {
        200: json('The revoked key.', schema(KeyBody)),
        ...problems('DELETE /v1/admin/tenants/{id}/keys/{keyId}'),
      },
    },
  };
  paths['/v1/admin/plans'] = {
    get: {
      summary: 'The plans.',
      tags: ['admin'],
      responses: {
        200: json('The plans.', schema(PlanListBody)),
        ...problems('GET /v1/admin/plans'),
      },
    },
  };
  paths['/v1/admin/plans/{id}'] = {
    put: {
      summary: 'Create or replace a plan (operator).',
      tags: ['admin'],
      parameters: [{ ...idParam, schema: TENANCY_ID }],
      requestBody: planRequestBody(),
      responses: {
        200: json('The plan.', schema(PlanBody)),
        ...problems('PUT /v1/admin/plans/{id}'),
      },
    },
  };
  paths['/v1/admin/dashboard'] = {
    get: {
      summary:
        'The operator dashboard’s figures: throughput, latency percentiles, cost per successful interaction, validation failures, model calls, breakers (operator).',
      description:
        'Request, latency, validation and model-call figures are this API process’s own (its embedded worker included); cost (usage ledger) and breakers are every replica’s. See docs/dashboard.md.',
      tags: ['admin'],
      responses: {
        200: json('The figures.', schema(DashboardBody)),
        ...problems('GET /v1/admin/dashboard'),
      },
    },
  };
  Object.assign(paths, promptPaths());
  paths['/v1/usage'] = {
    get: {
      summary:
        'Calls, tokens, cost, valid answers and cost per successful interaction (admin: its tenant; operator: all).',
      tags: ['admin'],
      parameters: [
        { name: 'from', in: 'query', schema: INSTANT_SCHEMA },
        { name: 'to', in: 'query', schema: INSTANT_SCHEMA },
        {
          name: 'groupBy',
          in: 'query',
          description: 'Comma-separated: tenant (operator), task, model, day, key.',
          schema: { type: 'string', pattern: USAGE_GROUP_BY },
        },
        { name: 'tenant', in: 'query', description: 'Operator only.', schema: TENANCY_ID },
      ],
      responses: {
        200: json('The usage.', schema(UsageBody)),
        ...problems('GET /v1/usage'),
      },
    },
  };
  const tenantParam = {
    name: 'tenant',
    in: 'query',
    description: 'Operator only: another tenant’s chain, or `_platform` (plan changes).',
    schema: { anyOf: [TENANCY_ID, { const: '_platform' }] },
  };
  paths['/v1/audit'] = {
    get: {
      summary:
        'The audit trail, newest first: admin changes, refusals, job ends, reviews, decoded payloads (admin: its tenant; operator: any).',
      tags: ['admin'],
      parameters: [
        tenantParam,
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_PAGE, default: 100 },
        },
        {
          name: 'before',
          in: 'query',
          description: 'A previous page’s `next`: older records.',
          schema: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' },
        },
        { name: 'action', in: 'query', schema: { type: 'string', enum: [...AUDIT_ACTIONS] } },
        { name: 'jobId', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 200 } },
      ],
      responses: {
        200: json('A page of records.', schema(AuditPageBody)),
        ...problems('GET /v1/audit'),
      },
    },
  };
  paths['/v1/audit/verify'] = {
    get: {
      summary:
        'Walks the hash chain(s) and reports every edited, missing or unlinked record (admin: its tenant; operator: all, or one).',
      tags: ['admin'],
      parameters: [tenantParam],
      responses: {
        200: json('The verification.', schema(AuditVerificationBody)),
        ...problems('GET /v1/audit/verify'),
      },
    },
  };
  return paths;
}

/** A plan as PUT sends it: the path names it, so `id` in the body is optional (and must match). */
function planRequestBody(): Json {
  const plan = schema(PlanBody, 'input');
  const properties = plan.properties as Json;
  plan.required = (plan.required as string[]).filter((name) => name !== 'id');
  properties.id = { ...(properties.id as Json), description: 'The path’s id; may be left out.' };
  return { required: true, content: { 'application/json': { schema: plan } } };
}
