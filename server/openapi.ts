import { z } from 'zod';
import { ReviewAudit, ReviewDecisionBody } from '../shared/contracts/review';
import { MAX_REVIEWS_PER_PAGE } from './reviews.service';
import { JobStatus, JobStep, ResultMeta, TaskOptions } from '../shared/contracts/job';
import { TASKS } from '../shared/tasks';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output'): Json =>
  z.toJSONSchema(s, { io, unrepresentable: 'any' });

const problem = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

/** The OpenAPI document, generated from the same zod schemas the server and workflows use. */
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
          200: {
            description: 'Completed within the sync budget.',
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
            },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    jobId: { type: 'string' },
                    status: { const: 'completed' },
                    output: schema(task.output),
                    meta: { $ref: '#/components/schemas/ResultMeta' },
                  },
                },
              },
            },
          },
          202: {
            description: 'Still running; poll the Location.',
            headers: { Location: { schema: { type: 'string' } } },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { jobId: { type: 'string' }, status: { const: 'running' } },
                },
              },
            },
          },
          400: problem('Invalid or malformed body; `errors[]` names the fields.'),
          401: problem('Missing or invalid API key.'),
          404: problem('Unknown task.'),
          413: problem('Body over the limit.'),
          422: problem(
            'Refused: the input by moderation policy (`input-rejected`), the answer by a rule whose action is reject (`output-rejected`), or an Idempotency-Key reused for a different request. `errors[]` names the fields.',
          ),
          502: problem('No model produced a valid answer.'),
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
        200: {
          description: 'The job.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  jobId: { type: 'string' },
                  task: { type: 'string' },
                  status: { enum: Object.values(JobStatus) },
                  output: {},
                  meta: { $ref: '#/components/schemas/ResultMeta' },
                  error: { $ref: '#/components/schemas/Problem' },
                  steps: { type: 'array', items: schema(JobStep) },
                },
              },
            },
          },
        },
        401: problem('Missing or invalid API key.'),
        404: problem('No such job for this tenant.'),
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
        200: {
          description: '`{items: [{jobId, task, reasons, requestedAt, deadlineAt, group, ageMs}]}`',
        },
        400: problem('Invalid query parameter.'),
        401: problem('Missing or invalid API key.'),
        403: problem('The key lacks the reviewer role.'),
      },
    },
  };
  paths['/v1/reviews/{jobId}'] = {
    get: {
      summary: 'One pending review: reasons, the masked input, the proposed output, validation.',
      tags: ['reviews'],
      parameters: [jobIdParam],
      responses: {
        200: { description: 'The item.' },
        401: problem('Missing or invalid API key.'),
        403: problem('The key lacks the reviewer role.'),
        404: problem('No pending review with this id for this tenant.'),
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
        200: {
          description: 'Accepted; the audit record.',
          content: { 'application/json': { schema: schema(ReviewAudit) } },
        },
        400: problem('Malformed decision; `errors[]` names the fields.'),
        401: problem('Missing or invalid API key.'),
        403: problem('The key lacks the reviewer role.'),
        404: problem('No pending review with this id for this tenant.'),
        409: problem('Already decided.'),
        422: problem(
          'The edited output fails the schema or a rule; `errors[]` lists them. The task keeps waiting.',
        ),
      },
    },
  };
  paths['/v1/providers'] = {
    get: {
      summary:
        'Per provider/model: circuit state and transitions, error rate, latency percentiles, current call timeouts.',
      tags: ['ops'],
      responses: {
        200: { description: 'Health of every configured provider/model.' },
        401: problem('Missing or invalid API key.'),
      },
    },
  };
  paths['/healthz'] = {
    get: {
      summary: 'Liveness',
      tags: ['ops'],
      security: [],
      responses: { 200: { description: 'alive' } },
    },
  };
  paths['/readyz'] = {
    get: {
      summary: 'Readiness: Temporal reachable and a worker polling',
      tags: ['ops'],
      security: [],
      responses: { 200: { description: 'ready' }, 503: problem('not ready') },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Keel API',
      version: '1.0.0',
      description: 'Reliable AI tasks. Every call is a Temporal workflow.',
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
      schemas: { Problem: schema(ProblemSchema), ResultMeta: schema(ResultMeta) },
    },
  };
}
