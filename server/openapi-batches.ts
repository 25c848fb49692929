import {
  MAX_JSON_BATCH_ITEMS,
  MAX_JSONL_BATCH_BYTES,
  MAX_JSONL_BATCH_ITEMS,
} from '../shared/contracts/batch';
import {
  BatchAcceptedBody,
  BatchBody,
  BatchCancelBody,
  BatchResultLine,
} from '../shared/contracts/batch-http';
import { TASKS } from '../shared/tasks';
import { CreateBatchBody } from './batch-submission';
import { json, problems, schema, type Json } from './openapi-parts';

/** Batches (docs/batches.md), as OpenAPI paths. */
export function batchPaths(): Json {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    '/v1/batches': {
      post: {
        summary: `Run one task over many inputs: a JSON body of at most ${MAX_JSON_BATCH_ITEMS} items, or a JSONL upload (one input per line) of at most ${MAX_JSONL_BATCH_ITEMS} items and ${MAX_JSONL_BATCH_BYTES} bytes, each line at most the body limit. Every item is checked against the task's input schema; an invalid one (or a line that is not JSON) is kept as a failed item with its problem and never runs; when none is valid the batch is refused. Each item runs as a job of its own (the task pipeline, budgets per model call). Idempotency-Key: a retry returns the same batch.`,
        tags: ['batches'],
        parameters: [
          { $ref: '#/components/parameters/IdempotencyKey' },
          {
            name: 'task',
            in: 'query',
            description: 'JSONL upload only: the task (a JSON body names it in `task`).',
            schema: { enum: Object.keys(TASKS) },
          },
          {
            name: 'route',
            in: 'query',
            description: 'JSONL upload only: `provider:model` candidates, comma-separated.',
            schema: { type: 'string' },
          },
          {
            name: 'review',
            in: 'query',
            description: 'JSONL upload only: `always`.',
            schema: { enum: ['always'] },
          },
          {
            name: 'allowDegraded',
            in: 'query',
            description: 'JSONL upload only: `false` prefers a failed item to a degraded answer.',
            schema: { enum: ['true', 'false'] },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: batchBodySchema() },
            'application/x-ndjson': {
              schema: {
                type: 'string',
                description: 'One task input per line (JSON); blank lines are skipped.',
              },
            },
          },
        },
        responses: {
          202: json('Accepted; the items run.', schema(BatchAcceptedBody), {
            headers: {
              location: { description: '/v1/batches/{batchId}', schema: { type: 'string' } },
            },
          }),
          ...problems('POST /v1/batches'),
        },
      },
    },
    '/v1/batches/{id}': {
      get: {
        summary:
          'The batch: items by status, cost so far, the observed rate and the time left at that rate.',
        tags: ['batches'],
        parameters: [idParam],
        responses: {
          200: json('The batch.', schema(BatchBody)),
          ...problems('GET /v1/batches/{id}'),
        },
      },
    },
    '/v1/batches/{id}/results': {
      get: {
        summary:
          'Every item in order, one JSON line each: its index, job id, status, and its output (completed) or problem (failed, cancelled). Streamed; readable while the batch runs (unfinished items show their status).',
        tags: ['batches'],
        parameters: [idParam],
        responses: {
          200: {
            description: 'JSONL, one line per item.',
            content: { 'application/x-ndjson': { schema: schema(BatchResultLine) } },
          },
          ...problems('GET /v1/batches/{id}/results'),
        },
      },
    },
    '/v1/batches/{id}/events': {
      get: {
        summary:
          'The batch’s progress as server-sent events: `batch.status` (the batch as GET returns it), `batch.progress` (at most one a second: counts, cost), then `batch.completed` with the whole batch (`status` completed or cancelled), and the stream closes. `Last-Event-ID` resumes.',
        tags: ['batches'],
        parameters: [
          idParam,
          {
            name: 'Last-Event-ID',
            in: 'header',
            description: 'Resume after this event id (EventSource sends it on reconnect).',
            schema: { type: 'string', pattern: '^\\d{1,15}$' },
          },
        ],
        responses: {
          200: {
            description: 'An event stream: `id`, `event` and one line of JSON `data` per event.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...problems('GET /v1/batches/{id}/events'),
        },
      },
    },
    '/v1/batches/{id}/cancel': {
      post: {
        summary:
          'Cancel a running batch: its running items are cancelled, the others never start; they all end `cancelled`, the batch too.',
        tags: ['batches'],
        parameters: [idParam],
        responses: {
          202: json('Cancellation requested.', schema(BatchCancelBody)),
          ...problems('POST /v1/batches/{id}/cancel'),
        },
      },
    },
  };
}

/** The JSON body, `task` one of the tasks (the zod schema asks for a name; the service looks it up). */
function batchBodySchema(): Json {
  const body = schema(CreateBatchBody, 'input');
  const properties = body.properties as Json;
  properties.task = { ...(properties.task as Json), enum: Object.keys(TASKS) };
  return body;
}
