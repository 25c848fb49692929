import { z } from 'zod';
import {
  JobBody,
  LivenessBody,
  ProblemBody,
  ProvidersBody,
  ReadinessBody,
  ReviewDecisionResultBody,
  ReviewItemBody,
  ReviewListBody,
  TaskAcceptedBody,
  taskCompletedBody,
} from '../shared/contracts/http';
import { PROBLEM_BASE, PROBLEMS, type ProblemSlug } from '../shared/contracts/problems';
import { ReviewDecisionBody } from '../shared/contracts/review';
import { MAX_REVIEWS_PER_PAGE } from './reviews.service';
import { MAX_TENANTS_PER_PAGE } from './admin.service';
import {
  CreatedKeyBody,
  CreateKeyBody,
  CreateTenantBody,
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
import { ResultMeta, TaskOptions } from '../shared/contracts/job';
import { TASKS } from '../shared/tasks';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output'): Json =>
  z.toJSONSchema(s, { io, unrepresentable: 'any' });

const ref = (id: string): Json => ({ $ref: `#/components/schemas/${id}` });

/** A body's schema with the named properties pointing at shared components. */
function bodySchema(s: z.ZodType, refs: Record<string, string> = {}): Json {
  const json = schema(s);
  const properties = json.properties as Json;
  for (const [name, id] of Object.entries(refs)) properties[name] = ref(id);
  return json;
}

const json = (description: string, body: Json, extra: Json = {}): Json => ({
  description,
  ...extra,
  content: { 'application/json': { schema: body } },
});

/** The response headers a problem carries, documented once here. */
const PROBLEM_HEADERS: Partial<Record<ProblemSlug, [string, string]>> = {
  unauthorized: ['www-authenticate', 'Always `Bearer realm="keel"`.'],
  overloaded: ['retry-after', 'Seconds to wait before retrying.'],
  'temporal-unavailable': ['retry-after', 'Seconds to wait before retrying.'],
  'rate-limited': ['retry-after', 'Seconds until the refusing limit has room.'],
  'tenant-store-unavailable': ['retry-after', 'Seconds to wait before retrying.'],
};

/**
 * The problem+json responses of an operation, one per status, from the problem table: each
 * status lists the problem types it can carry and what each means.
 */
function problemResponses(slugs: readonly ProblemSlug[]): Json {
  const byStatus = new Map<number, ProblemSlug[]>();
  for (const slug of slugs) {
    const { status } = PROBLEMS[slug];
    byStatus.set(status, [...(byStatus.get(status) ?? []), slug]);
  }
  const responses: Json = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = Object.fromEntries(
      group.flatMap((slug) => {
        const header = PROBLEM_HEADERS[slug];
        return header ? [[header[0], { description: header[1], schema: { type: 'string' } }]] : [];
      }),
    );
    responses[status] = {
      description: group.map((slug) => `\`${slug}\`: ${PROBLEMS[slug].when}`).join('\n\n'),
      ...(Object.keys(headers).length ? { headers } : {}),
      content: {
        'application/problem+json': {
          schema: {
            allOf: [
              ref('Problem'),
              {
                type: 'object',
                properties: {
                  type: { enum: group.map((slug) => `${PROBLEM_BASE}${slug}`) },
                  status: { const: status },
                },
              },
            ],
          },
        },
      },
    };
  }
  return responses;
}

/** What every authenticated route can answer. */
const AUTHED: readonly ProblemSlug[] = [
  'unauthorized',
  'forbidden',
  'internal',
  'tenant-store-unavailable',
];
/** What every route with a JSON body can answer before it runs. */
const BODY: readonly ProblemSlug[] = [
  'invalid-request',
  'malformed-json',
  'payload-too-large',
  'unsupported-media-type',
];

/** The problems each operation can answer (the generator and docs/http-contract.md read this). */
export const OPERATION_PROBLEMS = {
  'POST /v1/tasks/{task}': [
    ...BODY,
    ...AUTHED,
    'invalid-route',
    'unknown-task',
    'task-cancelled',
    'input-rejected',
    'output-rejected',
    'review-rejected',
    'review-expired',
    'idempotency-key-reused',
    'superseded',
    'tenant-suspended',
    'task-not-in-plan',
    'budget-exceeded',
    'rate-limited',
    'task-failed',
    'all-candidates-failed',
    'overloaded',
    'temporal-unavailable',
    'task-timed-out',
  ],
  'GET /v1/jobs/{id}': [...AUTHED, 'job-not-found'],
  'GET /v1/reviews': [...AUTHED, 'invalid-request'],
  'GET /v1/reviews/{jobId}': [...AUTHED, 'review-not-found'],
  'POST /v1/reviews/{jobId}': [
    ...BODY,
    ...AUTHED,
    'review-not-found',
    'already-decided',
    'review-closed',
    'invalid-edit',
    'review-failed',
  ],
  'GET /v1/providers': AUTHED,
  'POST /v1/admin/tenants': [...BODY, ...AUTHED, 'tenant-exists'],
  'GET /v1/admin/tenants': [...AUTHED, 'invalid-request'],
  'GET /v1/admin/tenants/{id}': [...AUTHED, 'tenant-not-found'],
  'PATCH /v1/admin/tenants/{id}': [...BODY, ...AUTHED, 'tenant-not-found'],
  'POST /v1/admin/tenants/{id}/keys': [...BODY, ...AUTHED, 'tenant-not-found'],
  'GET /v1/admin/tenants/{id}/keys': [...AUTHED, 'tenant-not-found'],
  'POST /v1/admin/tenants/{id}/keys/{keyId}/rotate': [
    ...BODY,
    ...AUTHED,
    'tenant-not-found',
    'key-not-found',
  ],
  'DELETE /v1/admin/tenants/{id}/keys/{keyId}': [...AUTHED, 'tenant-not-found', 'key-not-found'],
  'GET /v1/admin/plans': AUTHED,
  'PUT /v1/admin/plans/{id}': [...BODY, ...AUTHED],
  'GET /v1/usage': [...AUTHED, 'invalid-request'],
  'GET /healthz': [],
  'GET /readyz': ['not-ready', 'internal'],
} as const satisfies Record<string, readonly ProblemSlug[]>;
type Operation = keyof typeof OPERATION_PROBLEMS;

const problems = (op: Operation): Json => problemResponses(OPERATION_PROBLEMS[op]);

/** The OpenAPI document, generated from the same zod schemas and problem table the server uses. */
export function buildOpenApi(options: { maxBodyBytes: number }): Json {
  const paths: Json = {};
  for (const task of Object.values(TASKS)) {
    paths[`/v1/tasks/${task.name}`] = {
      post: {
        summary: task.description,
        operationId: `run-${task.name}`,
        tags: ['tasks'],
        parameters: [
          { $ref: '#/components/parameters/RequestId' },
          { $ref: '#/components/parameters/IdempotencyKey' },
        ],
        requestBody: {
          required: true,
          description: `Body limit: ${options.maxBodyBytes} bytes. Prompt ${task.prompt.version}; waits up to ${task.envelope.maxSyncMs} ms.`,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['input'],
                additionalProperties: false,
                properties: {
                  input: schema(task.input, 'input'),
                  options: schema(TaskOptions, 'input'),
                },
              },
              example: { input: task.example },
            },
          },
        },
        responses: {
          200: json(
            'Completed within the sync budget.',
            bodySchema(taskCompletedBody(task.output), { meta: 'ResultMeta' }),
            {
              headers: {
                'x-keel-overhead-ms': {
                  description:
                    "Keel's own share of the response time: from the request's arrival to the answer, minus meta.providerMs.",
                  schema: { type: 'string', pattern: '^[0-9]+\\.[0-9]{2}$' },
                },
                'server-timing': {
                  description: 'The same split as `provider;dur=…, keel;dur=…`.',
                  schema: { type: 'string' },
                },
                'x-keel-single-flight': {
                  description:
                    'With `options.singleFlight`: `leader` when this request started the shared job, `joined` when it waited on an identical one already running (docs/single-flight.md).',
                  schema: { type: 'string', enum: ['leader', 'joined'] },
                },
              },
            },
          ),
          202: json(
            'Still running (`running`), or waiting for a reviewer (`awaiting_review`); poll the Location.',
            ref('TaskAccepted'),
            {
              headers: {
                Location: { schema: { type: 'string' } },
                'x-keel-single-flight': {
                  description: 'As for 200.',
                  schema: { type: 'string', enum: ['leader', 'joined'] },
                },
              },
            },
          ),
          ...problems('POST /v1/tasks/{task}'),
        },
      },
    };
  }
  paths['/v1/jobs/{id}'] = {
    get: {
      summary: 'A job: status, output, meta and steps so far.',
      tags: ['jobs'],
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        200: json('The job.', bodySchema(JobBody, { meta: 'ResultMeta', error: 'Problem' })),
        ...problems('GET /v1/jobs/{id}'),
      },
    },
  };
  const jobIdParam = { name: 'jobId', in: 'path', required: true, schema: { type: 'string' } };
  paths['/v1/reviews'] = {
    get: {
      summary: "Pending reviews of the reviewer's tenant, oldest first (reviewer role).",
      tags: ['reviews'],
      parameters: [
        { name: 'task', in: 'query', schema: { enum: Object.keys(TASKS) } },
        { name: 'minAgeMs', in: 'query', schema: { type: 'integer', minimum: 0 } },
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: MAX_REVIEWS_PER_PAGE, default: 100 },
        },
      ],
      responses: {
        200: json('The pending reviews.', schema(ReviewListBody)),
        ...problems('GET /v1/reviews'),
      },
    },
  };
  paths['/v1/reviews/{jobId}'] = {
    get: {
      summary: 'One pending review: reasons, the masked input, the proposed output, validation.',
      tags: ['reviews'],
      parameters: [jobIdParam],
      responses: {
        200: json('The item.', schema(ReviewItemBody)),
        ...problems('GET /v1/reviews/{jobId}'),
      },
    },
    post: {
      summary: 'Decide: approve, reject, or edit (validated like a model answer).',
      tags: ['reviews'],
      parameters: [jobIdParam],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: schema(ReviewDecisionBody, 'input') } },
      },
      responses: {
        200: json('Accepted; the audit record.', schema(ReviewDecisionResultBody)),
        ...problems('POST /v1/reviews/{jobId}'),
      },
    },
  };
  paths['/v1/providers'] = {
    get: {
      summary:
        'Per provider/model: circuit state and transitions, error rate, latency percentiles, current call timeouts.',
      tags: ['ops'],
      responses: {
        200: json('Health of every configured provider/model.', schema(ProvidersBody)),
        ...problems('GET /v1/providers'),
      },
    },
  };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const keyIdParam = { name: 'keyId', in: 'path', required: true, schema: { type: 'string' } };
  const body = (s: z.ZodType): Json => ({
    required: true,
    content: { 'application/json': { schema: schema(s, 'input') } },
  });
  paths['/v1/admin/tenants'] = {
    post: {
      summary: 'Create a tenant on a plan (operator).',
      tags: ['admin'],
      requestBody: body(CreateTenantBody),
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
      requestBody: body(UpdateTenantBody),
      responses: {
        200: json('The tenant as changed.', schema(TenantBody)),
        ...problems('PATCH /v1/admin/tenants/{id}'),
      },
    },
  };
  paths['/v1/admin/tenants/{id}/keys'] = {
    post: {
      summary: 'Create an API key; the response carries `key` this once.',
      tags: ['admin'],
      parameters: [idParam],
      requestBody: body(CreateKeyBody),
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
      requestBody: body(RotateKeyBody),
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
      parameters: [idParam],
      requestBody: body(PlanBody),
      responses: {
        200: json('The plan.', schema(PlanBody)),
        ...problems('PUT /v1/admin/plans/{id}'),
      },
    },
  };
  paths['/v1/usage'] = {
    get: {
      summary:
        'Calls, tokens, cost, valid answers and cost per successful interaction (admin: its tenant; operator: all).',
      tags: ['admin'],
      parameters: [
        { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
        { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } },
        {
          name: 'groupBy',
          in: 'query',
          description: 'Comma-separated: tenant (operator), task, model, day, key.',
          schema: { type: 'string' },
        },
        { name: 'tenant', in: 'query', description: 'Operator only.', schema: { type: 'string' } },
      ],
      responses: {
        200: json('The usage.', schema(UsageBody)),
        ...problems('GET /v1/usage'),
      },
    },
  };
  paths['/healthz'] = {
    get: {
      summary: 'Liveness',
      tags: ['ops'],
      security: [],
      responses: { 200: json('alive', schema(LivenessBody)), ...problems('GET /healthz') },
    },
  };
  paths['/readyz'] = {
    get: {
      summary: 'Readiness: Temporal reachable and a worker polling',
      tags: ['ops'],
      security: [],
      responses: { 200: json('ready', schema(ReadinessBody)), ...problems('GET /readyz') },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Keel API',
      version: '1.0.0',
      description:
        'Reliable AI tasks. Every call is a Temporal workflow. Errors are RFC 9457 problem details (application/problem+json); a path no route serves answers 404 `not-found`.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      parameters: {
        RequestId: {
          name: 'x-request-id',
          in: 'header',
          required: false,
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'idempotency-key',
          in: 'header',
          required: false,
          description:
            'A retry with the same key returns the same job (1–255 visible ASCII characters).',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      schemas: {
        Problem: schema(ProblemBody),
        ResultMeta: schema(ResultMeta),
        TaskAccepted: schema(TaskAcceptedBody),
      },
    },
  };
}
