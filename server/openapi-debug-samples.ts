import { DebugSamplePageBody, MAX_SAMPLES_PER_PAGE } from '../shared/contracts/debug-samples';
import { json, problems, schema, type Json } from './openapi-parts';
import { INSTANT_SCHEMA } from '../shared/contracts/instant';

/** `GET /v1/admin/debug-samples` (docs/debug-samples.md). */
export function debugSamplesPaths(): Json {
  const query = (name: string, description: string, s: Json) => ({
    name,
    in: 'query',
    description,
    schema: s,
  });
  return {
    '/v1/admin/debug-samples': {
      get: {
        summary:
          'Sampled model calls of a tenant that opted in: masked prompt messages and raw answer, model, prompt version, outcome, latency, tokens (tenant admin: its own; operator: any).',
        description:
          'A tenant opts in with `overrides.debugSamples: {rate, retentionDays}` (PATCH /v1/admin/tenants/{id}). Texts are masked as log lines are ([EMAIL], [PHONE], [CARD], [IBAN], [SSN], [SECRET]) and cut at 4,096 characters each. Newest first. See docs/debug-samples.md.',
        tags: ['admin'],
        parameters: [
          query(
            'tenant',
            'The platform operator: one tenant (default: all). Others: their own only.',
            {
              type: 'string',
              pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$',
            },
          ),
          query('task', 'Only this task’s calls.', {
            type: 'string',
            pattern: '^[a-z0-9-]{1,100}$',
          }),
          query('from', 'An RFC 3339 date-time or a date, inclusive.', INSTANT_SCHEMA),
          query('to', 'An RFC 3339 date-time or a date, exclusive.', INSTANT_SCHEMA),
          query('limit', `1 … ${MAX_SAMPLES_PER_PAGE}, default 20.`, {
            type: 'string',
            pattern: '^\\d{1,4}$',
          }),
          query('before', 'A previous page’s `next`.', {
            type: 'string',
            pattern: '^[1-9]\\d{0,15}$',
          }),
        ],
        responses: {
          200: json('A page of samples.', schema(DebugSamplePageBody)),
          ...problems('GET /v1/admin/debug-samples'),
        },
      },
    },
  };
}
