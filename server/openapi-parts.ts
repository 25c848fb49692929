import { z } from 'zod';
import {
  PROBLEM_BASE,
  PROBLEMS,
  type Problem,
  type ProblemSlug,
} from '../shared/contracts/problems';

/**
 * The pieces every part of the OpenAPI document is built from: zod schemas as JSON Schema, JSON
 * responses, and each operation's problem+json responses from the problem table.
 */
export type Json = Record<string, unknown>;

export const schema = (s: z.ZodType, io: 'input' | 'output' = 'output'): Json =>
  z.toJSONSchema(s, { io, unrepresentable: 'any' });

export const ref = (id: string): Json => ({ $ref: `#/components/schemas/${id}` });

/** A body's schema with the named properties pointing at shared components. */
export function bodySchema(s: z.ZodType, refs: Record<string, string> = {}): Json {
  const json = schema(s);
  const properties = json.properties as Json;
  for (const [name, id] of Object.entries(refs)) properties[name] = ref(id);
  return json;
}

export const json = (description: string, body: Json, extra: Json = {}): Json => ({
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

/** The content of one error status: the problems it can carry (problem+json unless an area says). */
export type ErrorContent = (status: number, group: readonly ProblemSlug[]) => Json;

const problemJson: ErrorContent = (status, group) => ({
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
});

/**
 * The error responses of an operation, one per status, from the problem table: each status lists
 * the problem types it can carry and what each means; `content` renders their body.
 */
function problemResponses(slugs: readonly ProblemSlug[], content: ErrorContent): Json {
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
      content: content(status, group),
    };
  }
  return responses;
}

/** What every authenticated route can answer. */
const AUTHED: readonly ProblemSlug[] = [
  'unauthorized',
  'too-many-auth-failures',
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

/** What the chat paths (OpenAI's and Anthropic's wire) answer, each in its vendor's error shape. */
const CHAT_PROBLEMS = [
  ...BODY,
  ...AUTHED,
  'tenant-suspended',
  'model-not-found',
  'task-not-in-plan',
  'budget-exceeded',
  'rate-limited',
  'idempotency-key-reused',
  'input-rejected',
  'policy-denied',
  'task-cancelled',
  'task-failed',
  'all-candidates-failed',
  'stream-interrupted',
  'overloaded',
  'temporal-unavailable',
  'task-timed-out',
] as const satisfies readonly ProblemSlug[];

/** The problems each operation can answer (the generator and docs/http-contract.md read this). */
export const OPERATION_PROBLEMS = {
  'POST /v1/tasks/{task}': [
    ...BODY,
    ...AUTHED,
    'invalid-route',
    'unknown-task',
    'task-cancelled',
    'input-rejected',
    'policy-denied',
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
  'GET /v1/jobs/{id}/events': [...AUTHED, 'invalid-request', 'job-not-found', 'too-many-streams'],
  'POST /v1/jobs/{id}/cancel': [...AUTHED, 'job-not-found', 'job-ended', 'temporal-unavailable'],
  'GET /v1/reviews/events': [...AUTHED, 'invalid-request', 'too-many-streams'],
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
  'GET /v1/drift': [...AUTHED, 'invalid-request'],
  'POST /v1/admin/experiments': [...BODY, ...AUTHED, 'tenant-not-found'],
  'POST /v1/admin/experiments/{id}/stop': [...AUTHED, 'experiment-not-found'],
  'GET /v1/experiments': [...AUTHED, 'invalid-request'],
  'GET /v1/experiments/{id}': [...AUTHED, 'experiment-not-found'],
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
  'POST /v1/admin/tenants/{id}/erase': [
    ...BODY,
    ...AUTHED,
    'tenant-not-found',
    'tenant-not-suspended',
  ],
  'GET /v1/admin/tenants/{id}/erasure': [...AUTHED, 'tenant-not-found'],
  'POST /v1/admin/tenants/{id}/data-keys/rotate': [
    ...AUTHED,
    'tenant-not-found',
    'tenant-data-keys-off',
  ],
  'POST /v1/admin/prompts/{task}/versions': [
    ...BODY,
    ...AUTHED,
    'unknown-task',
    'tenant-not-found',
  ],
  'GET /v1/admin/prompts/{task}/versions': [
    ...AUTHED,
    'invalid-request',
    'unknown-task',
    'tenant-not-found',
  ],
  'PUT /v1/admin/prompts/{task}/rollout': [...BODY, ...AUTHED, 'unknown-task', 'tenant-not-found'],
  'GET /v1/admin/prompts/{task}/stats': [
    ...AUTHED,
    'invalid-request',
    'unknown-task',
    'tenant-not-found',
  ],
  'GET /v1/admin/plans': AUTHED,
  'GET /v1/admin/dashboard': AUTHED,
  'PUT /v1/admin/plans/{id}': [...BODY, ...AUTHED],
  'GET /v1/usage': [...AUTHED, 'invalid-request'],
  'GET /v1/evaluations': [...AUTHED, 'invalid-request'],
  'GET /v1/audit': [...AUTHED, 'invalid-request'],
  'GET /v1/admin/debug-samples': [...AUTHED, 'invalid-request'],
  'GET /v1/audit/verify': [...AUTHED, 'invalid-request'],
  'POST /v1/batches': [
    ...BODY,
    ...AUTHED,
    'too-many-items',
    'idempotency-key-reused',
    'tenant-suspended',
    'task-not-in-plan',
    'budget-exceeded',
    'temporal-unavailable',
  ],
  'GET /v1/batches/{id}': [...AUTHED, 'batch-not-found'],
  'GET /v1/batches/{id}/results': [...AUTHED, 'batch-not-found'],
  'GET /v1/batches/{id}/events': [
    ...AUTHED,
    'invalid-request',
    'batch-not-found',
    'too-many-streams',
  ],
  'POST /v1/batches/{id}/cancel': [...AUTHED, 'batch-not-found', 'batch-ended'],
  'POST /v1/webhooks': [
    ...BODY,
    ...AUTHED,
    'webhook-url-refused',
    'webhook-limit-reached',
    'tenant-not-found',
  ],
  'GET /v1/webhooks': [...AUTHED, 'invalid-request'],
  'GET /v1/webhooks/{id}': [...AUTHED, 'webhook-not-found'],
  'PATCH /v1/webhooks/{id}': [...BODY, ...AUTHED, 'webhook-not-found', 'webhook-url-refused'],
  'DELETE /v1/webhooks/{id}': [...AUTHED, 'webhook-not-found'],
  'POST /v1/webhooks/{id}/rotate-secret': [...BODY, ...AUTHED, 'webhook-not-found'],
  'GET /v1/webhooks/{id}/deliveries': [...AUTHED, 'invalid-request', 'webhook-not-found'],
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': [
    ...AUTHED,
    'webhook-not-found',
    'delivery-not-found',
    'delivery-in-progress',
    'temporal-unavailable',
  ],
  // The OpenAI-compatible paths answer these in OpenAI's error shape (server/openapi-chat.ts).
  'POST /v1/chat/completions': CHAT_PROBLEMS,
  // Anthropic's Messages on the same job, in Anthropic's error shape (server/openapi-chat.ts).
  'POST /v1/messages': CHAT_PROBLEMS,
  'GET /v1/models': [...AUTHED, 'tenant-suspended'],
  'GET /v1/models/{id}': [...AUTHED, 'tenant-suspended', 'model-not-found'],
  'GET /healthz': [],
  'GET /readyz': ['not-ready', 'internal'],
} as const satisfies Record<string, readonly ProblemSlug[]>;
export type Operation = keyof typeof OPERATION_PROBLEMS;

export const problems = (op: Operation, content: ErrorContent = problemJson): Json =>
  problemResponses(OPERATION_PROBLEMS[op], content);

/**
 * An error status's body on a vendor-shaped path (the chat paths): the vendor's error object
 * (`schemaName`), its `error.type` as `typeOf` picks it for each problem, the problem inside
 * `error.problem`; `withCode` adds OpenAI's `error.code` (the slug).
 */
export function vendorErrorContent(
  schemaName: string,
  typeOf: (problem: Problem) => string,
  withCode = false,
): ErrorContent {
  const vendorType = (slug: ProblemSlug): string =>
    typeOf({ type: `${PROBLEM_BASE}${slug}`, title: '', status: PROBLEMS[slug].status });
  return (status, group) => ({
    'application/json': {
      schema: {
        allOf: [
          ref(schemaName),
          {
            type: 'object',
            properties: {
              error: {
                type: 'object',
                properties: {
                  type: { enum: [...new Set(group.map(vendorType))] },
                  ...(withCode ? { code: { enum: [...group] } } : {}),
                  problem: {
                    type: 'object',
                    properties: {
                      type: { enum: group.map((slug) => `${PROBLEM_BASE}${slug}`) },
                      status: { const: status },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    },
  });
}

/** A closed JSON object schema; every property required but those named `optional`. */
export const object = (properties: Json, optional: readonly string[] = []): Json => ({
  type: 'object',
  required: Object.keys(properties).filter((name) => !optional.includes(name)),
  additionalProperties: false,
  properties,
});
export const nullable = (s: Json): Json => ({ anyOf: [s, { type: 'null' }] });
/** A token or item count. */
export const count = { type: 'integer', minimum: 0 };

/** A required JSON request body of this schema. */
export const requestBody = (s: z.ZodType): Json => ({
  required: true,
  content: { 'application/json': { schema: schema(s, 'input') } },
});
