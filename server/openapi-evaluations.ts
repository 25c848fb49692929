import { EvaluationsBody } from '../shared/contracts/evaluations';
import { TenancyId } from '../shared/tenancy/plans';
import { json, problems, schema, type Json } from './openapi-parts';
import { INSTANT_SCHEMA } from '../shared/contracts/instant';

/** `GET /v1/evaluations` (docs/evaluation.md). */
export function evaluationPaths(): Json {
  const { $schema: _dialect, ...tenancyId } = schema(TenancyId);
  return {
    '/v1/evaluations': {
      get: {
        summary:
          'Sampled evaluation of live traffic per task × model × prompt version (× day): hallucination and unsafe-output rates with 95 % Wilson intervals, and the evaluation’s cost (admin: its tenant; operator: all).',
        description:
          'A tenant’s `evaluation.sampleRate` (plan or override) sends that share of its answered jobs to a verifier model and output moderation on the background queue, after the answer went out. See docs/evaluation.md.',
        tags: ['admin'],
        parameters: [
          {
            name: 'task',
            in: 'query',
            schema: { type: 'string', maxLength: 100, pattern: '^[a-z0-9-]+$' },
          },
          {
            name: 'from',
            in: 'query',
            description: 'Inclusive; default: 30 days before `to`.',
            schema: INSTANT_SCHEMA,
          },
          {
            name: 'to',
            in: 'query',
            description: 'Exclusive; default: now.',
            schema: INSTANT_SCHEMA,
          },
          { name: 'groupBy', in: 'query', schema: { type: 'string', enum: ['day'] } },
          { name: 'tenant', in: 'query', description: 'Operator only.', schema: tenancyId },
        ],
        responses: {
          200: json('The groups and totals.', schema(EvaluationsBody)),
          ...problems('GET /v1/evaluations'),
        },
      },
    },
  };
}
