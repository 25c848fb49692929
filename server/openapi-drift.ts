import { DriftBody } from '../shared/contracts/drift';
import { json, problems, schema, type Json } from './openapi-parts';

/** `GET /v1/drift` (docs/drift.md). */
export function driftPaths(): Json {
  const text = (name: string, description: string) => ({
    name,
    in: 'query',
    description,
    schema: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9._:@/-]+$' },
  });
  return {
    '/v1/drift': {
      get: {
        summary:
          'Drift per task × model × prompt version: each metric’s recent window against its baseline (chi-square, KS, PSI; the sampled evaluation’s hallucination and unsafe-output rates by a one-sided two-proportion z-test) and the alerts (operator).',
        description:
          'Evaluated on read from the shared store; alerts (keel_drift_alerts_total, a log line, `drift.detected` webhook events) are raised by the workers every KEEL_DRIFT_EVALUATE_EVERY observations (or evaluations) of a series. See docs/drift.md and docs/evaluation.md.',
        tags: ['ops'],
        parameters: [
          text('task', 'Only this task’s series.'),
          text('provider', 'Only this provider’s series.'),
          text('model', 'Only this model’s series.'),
          text('promptVersion', 'Only this prompt version’s series.'),
          {
            name: 'status',
            in: 'query',
            schema: {
              type: 'string',
              enum: ['collecting-baseline', 'collecting-window', 'stable', 'drifted'],
            },
          },
        ],
        responses: {
          200: json('The series.', schema(DriftBody)),
          ...problems('GET /v1/drift'),
        },
      },
    },
  };
}
