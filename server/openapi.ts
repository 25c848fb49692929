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
import { ReviewDecisionBody } from '../shared/contracts/review';
import { MAX_REVIEWS_PER_PAGE } from './reviews.service';
import { ResultMeta, TaskOptions } from '../shared/contracts/job';
import { TASKS } from '../shared/tasks';
import { longDocumentLimits, longInputSchema } from '../shared/tasks/long-document';
import { adminPaths } from './openapi-admin';
import { batchPaths } from './openapi-batches';
import { chatPaths, chatSchemas } from './openapi-chat';
import { messagesPaths, messagesSchemas } from './openapi-messages';
import { jobEventPaths } from './openapi-events';
import { webhookPaths } from './openapi-webhooks';
import { driftPaths } from './openapi-drift';
import { debugSamplesPaths } from './openapi-debug-samples';
import { experimentPaths } from './openapi-experiments';
import { evaluationPaths } from './openapi-evaluations';
import { bodySchema, json, problems, ref, schema, type Json } from './openapi-parts';

export { OPERATION_PROBLEMS } from './openapi-parts';

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
          description: `Body limit: ${options.maxBodyBytes} bytes. Prompt ${task.prompt.version}; waits up to ${task.envelope.maxSyncMs} ms.${longNote(task.name)}`,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['input'],
                additionalProperties: false,
                properties: {
                  input: schema(longInputSchema(task.name) ?? task.input, 'input'),
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
  Object.assign(paths, jobEventPaths());
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
        content: { 'application/json': { schema: decisionSchema() } },
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
  Object.assign(paths, chatPaths(options));
  Object.assign(paths, messagesPaths(options));
  Object.assign(paths, batchPaths());
  Object.assign(paths, adminPaths());
  Object.assign(paths, webhookPaths());
  Object.assign(paths, driftPaths());
  Object.assign(paths, debugSamplesPaths());
  Object.assign(paths, experimentPaths());
  Object.assign(paths, evaluationPaths());
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
        'Reliable AI tasks. Every call is a Temporal workflow. Errors are RFC 9457 problem details (application/problem+json); a path no route serves answers 404 `not-found`, a method a path does not have 405 `method-not-allowed` with an `Allow` header. The OpenAI-compatible paths (`/v1/chat/completions`, `/v1/models`) answer the same problems in OpenAI’s error shape, `{"error": {message, type, param, code, problem}}`, `code` being the slug; Anthropic’s `/v1/messages` in Anthropic’s, `{"type": "error", "error": {type, message, problem}}`.',
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description:
            'The same key, as Anthropic’s clients send it; used when there is no Authorization header.',
        },
      },
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
          schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
        },
      },
      schemas: {
        Problem: schema(ProblemBody),
        ResultMeta: schema(ResultMeta),
        TaskAccepted: schema(TaskAcceptedBody),
        ...chatSchemas(),
        ...messagesSchemas(),
      },
    },
  };
}

/** A review decision: `output` is required for `edit` (the zod refinement, in JSON Schema). */
function decisionSchema(): Json {
  return {
    ...schema(ReviewDecisionBody, 'input'),
    if: { properties: { decision: { const: 'edit' } }, required: ['decision'] },
    then: { required: ['output'] },
  };
}

/** What a task that takes long documents says about them in its request body's description. */
function longNote(task: string): string {
  const limits = longDocumentLimits(task);
  if (limits && task === 'answer')
    return ` Documents over ${limits.singleCallChars} characters in all, or one over ${limits.chunkChars} (up to ${limits.maxChars} in all), run as a long document: pieces → child answers → one reduce over their cited quotes, one job (docs/long-documents.md).`;
  return limits
    ? ` A text longer than ${limits.singleCallChars} characters (up to ${limits.maxChars}) runs as a long document: chunk → map → reduce, one job (docs/long-documents.md).`
    : '';
}
