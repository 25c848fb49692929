import { JobBody } from '../shared/contracts/http';
import { bodySchema, json, problems, type Json } from './openapi-parts';

/** A job's event stream and its cancellation, as OpenAPI paths (server/events/). */
export function jobEventPaths(): Json {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    '/v1/jobs/{id}/events': {
      get: {
        summary:
          'The job’s progress as server-sent events: `job.status` (the job as GET returns it), `review.requested`, `review.decided`, `review.expired`, then one of `job.completed`, `job.failed`, `job.cancelled` carrying the whole job, and the stream closes. Comment lines every KEEL_SSE_HEARTBEAT_MS. docs/events.md.',
        tags: ['jobs'],
        parameters: [
          idParam,
          {
            name: 'Last-Event-ID',
            in: 'header',
            description: 'Resume after this event id (EventSource sends it on reconnect).',
            schema: { type: 'string', pattern: '^\\d{1,15}$' },
          },
          {
            name: 'lastEventId',
            in: 'query',
            description: 'The same as the header, for a first connection that resumes.',
            schema: { type: 'string', pattern: '^\\d{1,15}$' },
          },
        ],
        responses: {
          200: {
            description: 'An event stream: `id`, `event` and one line of JSON `data` per event.',
            content: {
              'text/event-stream': {
                schema: {
                  type: 'string',
                  description:
                    'event: review.requested\\nid: 42\\ndata: {"jobId":"…","status":"awaiting_review"}',
                },
              },
            },
          },
          ...problems('GET /v1/jobs/{id}/events'),
        },
      },
    },
    '/v1/reviews/events': {
      get: {
        summary:
          'The tenant’s review queue as it changes (reviewer role), as server-sent events: `review.requested`, `review.decided`, `review.expired`, each with its job id; open until the client leaves. The reviewer page listens to it.',
        tags: ['reviews'],
        parameters: [
          {
            name: 'Last-Event-ID',
            in: 'header',
            description: 'Resume after this event id; without it, events from now on.',
            schema: { type: 'string', pattern: '^\\d{1,15}$' },
          },
        ],
        responses: {
          200: {
            description: 'An event stream: `id`, `event` and one line of JSON `data` per event.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...problems('GET /v1/reviews/events'),
        },
      },
    },
    '/v1/jobs/{id}/cancel': {
      post: {
        summary:
          'Cancel a running job: an in-flight model call is aborted, a pending review withdrawn. 200 with the job once it has ended (within 3 s), else 202 with it still running.',
        tags: ['jobs'],
        parameters: [idParam],
        responses: {
          200: json('Cancelled.', bodySchema(JobBody, { meta: 'ResultMeta', error: 'Problem' })),
          202: json(
            'Cancellation requested; the job has not ended yet.',
            bodySchema(JobBody, { meta: 'ResultMeta', error: 'Problem' }),
          ),
          ...problems('POST /v1/jobs/{id}/cancel'),
        },
      },
    },
  };
}
